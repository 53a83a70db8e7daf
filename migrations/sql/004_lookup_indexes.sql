-- The lookup page's CPF/CNPJ level reads the requesters of one protocol.
CREATE INDEX participants_protocol ON participants (protocol_id);
