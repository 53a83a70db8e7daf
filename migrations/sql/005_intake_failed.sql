-- Staff are told by mail when a received message could not be processed
-- (quarantined): notification kind intake_failed, to the administrators.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('ack', 'unit_notice', 'status_update',
    'reply', 'requester_message', 'command_result', 'command_rejected', 'delivery_failed', 'too_large',
    'reminder_due_soon', 'reminder_due', 'overdue_digest', 'intake_failed'));
