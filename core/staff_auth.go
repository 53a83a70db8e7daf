package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/argon2"
)

// Staff site sign-in (DESIGN.md, "Staff site"): one-time links, password
// (argon2id) plus TOTP, OpenID Connect; server-side sessions; an audit of
// every sign-in, sign-out and failure, which also feeds the throttle.

// Session and sign-in limits.
const (
	SessionIdle      = 30 * time.Minute // a session unused this long ends
	SessionAbsolute  = 12 * time.Hour   // a session ends this long after sign-in, used or not
	SignInLinkTTL    = 15 * time.Minute // a mailed sign-in link is valid this long, once
	ThrottleWindow   = 15 * time.Minute // failures are counted over this window
	MaxFailsAccount  = 5                // failures per account in the window before refusing
	MaxFailsClient   = 20               // failures per client address in the window before refusing
	MaxLinksAccount  = 3                // sign-in links mailed per account in the window
	sessionTouchStep = time.Minute      // last_seen_at is written at most this often
)

// Sign-in methods (staff_sessions.method).
const (
	MethodLink         = "link"
	MethodPassword     = "password"
	MethodPasswordTOTP = "password_totp"
	MethodOIDC         = "oidc"
)

// Sign-in errors. Each is also recorded in the audit table.
var (
	// ErrSignInFailed: wrong e-mail, password, TOTP code or link; the
	// message never says which.
	ErrSignInFailed = errors.New("sign-in failed")
	// ErrThrottled: too many failures for the account or the client address
	// in ThrottleWindow; the attempt was not even checked.
	ErrThrottled = errors.New("too many failed sign-ins; try again later")
	// ErrTOTPRequired: the password was right and the account has TOTP; the
	// code is missing.
	ErrTOTPRequired = errors.New("TOTP code required")
	// ErrSessionEnded: the session token is unknown, expired, signed out, or
	// its staff member was deactivated.
	ErrSessionEnded = errors.New("session ended")
)

// argon2id parameters: OWASP's minimum (m = 19 MiB, t = 2, p = 1).
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns password hashed with argon2id, as a PHC string
// ($argon2id$v=19$m=19456,t=2,p=1$salt$hash, base64 without padding).
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC string phc made
// by HashPassword (with whatever parameters it records).
func CheckPassword(phc, password string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// StaffByEmail returns the active staff member with address email (any
// case), with their units, or ErrNotFound.
func (s *Service) StaffByEmail(ctx context.Context, email string) (Staff, error) {
	return loadActiveStaff(ctx, s.pool, 0, strings.ToLower(strings.TrimSpace(email)))
}

// StaffByID returns the active staff member id, with their units, or ErrNotFound.
func (s *Service) StaffByID(ctx context.Context, id int64) (Staff, error) {
	return loadActiveStaff(ctx, s.pool, id, "")
}

// SetStaffPassword sets the password of the active staff member email
// (`tramita staff password EMAIL`). An empty password removes it.
func (s *Service) SetStaffPassword(ctx context.Context, email, password string) error {
	var hash *string
	if password != "" {
		h, err := HashPassword(password)
		if err != nil {
			return err
		}
		hash = &h
	}
	t, err := s.pool.Exec(ctx, `UPDATE staff SET password_hash = $2 WHERE email = $1 AND active`, strings.ToLower(strings.TrimSpace(email)), hash)
	if err != nil {
		return fmt.Errorf("setting password: %w", err)
	}
	if t.RowsAffected() == 0 {
		return fmt.Errorf("staff %s: %w", email, ErrNotFound)
	}
	return nil
}

// SetStaffTOTP creates a new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s)
// for the active staff member email and returns its key, whose URL() is the
// otpauth:// URI for authenticator apps and whose Image() is its QR code.
// The previous secret and its recovery codes stop working; NewRecoveryCodes
// makes new ones (`tramita staff totp` does both).
func (s *Service) SetStaffTOTP(ctx context.Context, email string) (*otp.Key, error) {
	org, err := s.Organization(ctx)
	if err != nil {
		return nil, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Tramita " + org.Name, AccountName: email})
	if err != nil {
		return nil, fmt.Errorf("creating TOTP secret: %w", err)
	}
	t, err := s.pool.Exec(ctx, `WITH st AS (UPDATE staff SET totp_secret = $2, totp_last_step = NULL WHERE email = $1 AND active RETURNING id),
			old AS (DELETE FROM staff_recovery_codes c USING st WHERE c.staff_id = st.id)
		SELECT FROM st`, email, key.Secret())
	if err != nil {
		return nil, fmt.Errorf("saving TOTP secret: %w", err)
	}
	if t.RowsAffected() == 0 {
		return nil, fmt.Errorf("staff %s: %w", email, ErrNotFound)
	}
	return key, nil
}

// SignIn is one sign-in attempt.
type SignIn struct {
	Email    string
	Password string
	Code     string // TOTP code
	Client   string // client address, for the throttle and the audit
}

// Session is a signed-in staff session. Token is the cookie's value: it is
// shown once and only its SHA-256 is stored.
type Session struct {
	Token     string
	Staff     Staff
	Method    string
	CreatedAt time.Time
	ExpiresAt time.Time // absolute end
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// audit records a sign-in event.
func (s *Service) audit(ctx context.Context, db DBTX, event, method string, staffID int64, email, client, reason string) error {
	_, err := db.Exec(ctx, `INSERT INTO staff_signin_audit (at, event, method, staff_id, email, client, reason)
		VALUES ($1, $2, $3, nullif($4, 0), $5, $6, $7)`, s.now(), event, method, staffID, strings.ToLower(email), client, reason)
	if err != nil {
		return fmt.Errorf("recording sign-in audit: %w", err)
	}
	return nil
}

// throttled reports whether email or client had too many failures in
// ThrottleWindow (attempts in progress count as failures, see
// checkThrottle).
func (s *Service) throttled(ctx context.Context, db DBTX, email, client string) (bool, error) {
	var byAccount, byClient int
	since := s.now().Add(-ThrottleWindow)
	err := db.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM staff_signin_audit WHERE event = 'failure' AND email = $1 AND $1 <> '' AND at > $3),
		(SELECT count(*) FROM staff_signin_audit WHERE event = 'failure' AND client = $2 AND $2 <> '' AND at > $3)`,
		strings.ToLower(email), client, since).Scan(&byAccount, &byClient)
	if err != nil {
		return false, fmt.Errorf("checking sign-in throttle: %w", err)
	}
	return byAccount >= MaxFailsAccount || byClient >= MaxFailsClient, nil
}

// fail records a failure and returns err.
func (s *Service) fail(ctx context.Context, method string, staffID int64, email, client, reason string, err error) error {
	if aerr := s.audit(ctx, s.pool, "failure", method, staffID, email, client, reason); aerr != nil {
		return aerr
	}
	s.log.Warn("staff sign-in failed", "method", method, "staff_id", staffID, "reason", reason)
	return err
}

// attemptInProgress is the reason of the failure row that stands for an
// attempt being checked (checkThrottle); it is deleted when the attempt
// ends, and a failure is then recorded on its own.
const attemptInProgress = "attempt in progress"

// checkThrottle refuses (and audits) an attempt for an account or address
// with too many recent failures. Otherwise it counts the attempt as a
// failure until the caller calls done (when the attempt has ended and any
// failure is recorded): the count and the mark are made under advisory
// locks on the account and on the client address, so attempts sent at once
// cannot all pass the count before the first failure is recorded (they
// did: 40 concurrent guesses on one account were all checked, not 5). An
// empty email or client is not counted.
func (s *Service) checkThrottle(ctx context.Context, method, email, client string) (done func(), err error) {
	email = strings.ToLower(email)
	var mark int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Always the account first, then the client: no two attempts wait
		// for each other's lock.
		for _, key := range []string{"account:" + email, "client:" + client} {
			if strings.HasSuffix(key, ":") {
				continue
			}
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('tramita-signin-' || $1, 0))`, key); err != nil {
				return fmt.Errorf("sign-in throttle lock: %w", err)
			}
		}
		th, err := s.throttled(ctx, tx, email, client)
		if err != nil {
			return err
		}
		if th {
			return ErrThrottled
		}
		if err := tx.QueryRow(ctx, `INSERT INTO staff_signin_audit (at, event, method, email, client, reason)
			VALUES ($1, 'failure', $2, $3, $4, $5) RETURNING id`, s.now(), method, email, client, attemptInProgress).Scan(&mark); err != nil {
			return fmt.Errorf("recording sign-in attempt: %w", err)
		}
		return nil
	})
	if errors.Is(err, ErrThrottled) {
		if aerr := s.audit(ctx, s.pool, "throttled", method, 0, email, client, ""); aerr != nil {
			return nil, aerr
		}
		return nil, ErrThrottled
	}
	if err != nil {
		return nil, err
	}
	return func() {
		// Not ctx: a client that went away still ends its attempt.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := s.pool.Exec(ctx, `DELETE FROM staff_signin_audit WHERE id = $1`, mark); err != nil {
			s.log.Warn("sign-in attempt mark not removed (counts as a failure for the throttle window)", "error", err)
		}
	}, nil
}

// SignInPassword signs a staff member in with password and, when they have
// a TOTP secret, the current code. The organization's SignInPolicy decides
// whether the password alone is enough (never for admins; never under
// staff_signin: password_totp). Wrong credentials give ErrSignInFailed; a
// missing code ErrTOTPRequired; a right password where the policy needs a
// TOTP code the member has not set ErrSecondFactorRequired; too many
// failures ErrThrottled; each failure is audited.
func (s *Service) SignInPassword(ctx context.Context, in SignIn) (Session, error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	done, err := s.checkThrottle(ctx, MethodPassword, email, in.Client)
	if err != nil {
		return Session{}, err
	}
	defer done()
	var id int64
	var role Role
	var hash, secret *string
	var lastStep *int64
	var policy SignInPolicy
	err = s.pool.QueryRow(ctx, `SELECT id, role, password_hash, totp_secret, totp_last_step,
			coalesce((SELECT staff_signin FROM organization WHERE id = 1), 'any')
		FROM staff WHERE email = $1 AND active`, email).
		Scan(&id, &role, &hash, &secret, &lastStep, &policy)
	if isNoRows(err) {
		CheckPassword(dummyHash(), in.Password) // same time as a real check
		return Session{}, s.fail(ctx, MethodPassword, 0, email, in.Client, "unknown or inactive account", ErrSignInFailed)
	}
	if err != nil {
		return Session{}, fmt.Errorf("loading staff for sign-in: %w", err)
	}
	if hash == nil {
		// No password set: answer as slowly as a wrong one, so the time
		// does not tell such an account from one with a password.
		CheckPassword(dummyHash(), in.Password)
	}
	if hash == nil || !CheckPassword(*hash, in.Password) {
		return Session{}, s.fail(ctx, MethodPassword, id, email, in.Client, "wrong password or none set", ErrSignInFailed)
	}
	method := MethodPassword
	if secret != nil {
		method = MethodPasswordTOTP
	}
	if ok, reason := policy.Allows(role, true, secret != nil, method); !ok {
		return Session{}, s.fail(ctx, method, id, email, in.Client, reason, ErrSecondFactorRequired)
	}
	if method == MethodPasswordTOTP {
		if strings.TrimSpace(in.Code) == "" {
			return Session{}, ErrTOTPRequired
		}
		step, ok := s.validTOTP(*secret, in.Code)
		if !ok {
			// Not the authenticator's code: perhaps a recovery code.
			left, used, err := s.useRecoveryCode(ctx, id, in.Code)
			if err != nil {
				return Session{}, err
			}
			if used {
				return s.startSession(ctx, id, method, in.Client, fmt.Sprintf("recovery code used, %d left", left))
			}
		}
		if !ok || (lastStep != nil && step <= *lastStep) {
			return Session{}, s.fail(ctx, MethodPasswordTOTP, id, email, in.Client, "wrong or reused TOTP or recovery code", ErrSignInFailed)
		}
		t, err := s.pool.Exec(ctx, `UPDATE staff SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)`, id, step)
		if err != nil {
			return Session{}, fmt.Errorf("recording TOTP step: %w", err)
		}
		if t.RowsAffected() == 0 {
			return Session{}, s.fail(ctx, MethodPasswordTOTP, id, email, in.Client, "reused TOTP code", ErrSignInFailed)
		}
	}
	return s.startSession(ctx, id, method, in.Client, "")
}

// signInAllowed asks the organization's SignInPolicy whether the active
// staff member id may sign in with method, from what they have set. When
// not, reason says why (for the audit). An inactive member is ErrNotFound.
func (s *Service) signInAllowed(ctx context.Context, id int64, method string) (ok bool, reason string, err error) {
	var role Role
	var hasPassword, hasTOTP bool
	var policy SignInPolicy
	err = s.pool.QueryRow(ctx, `SELECT role, password_hash IS NOT NULL, totp_secret IS NOT NULL,
			coalesce((SELECT staff_signin FROM organization WHERE id = 1), 'any')
		FROM staff WHERE id = $1 AND active`, id).Scan(&role, &hasPassword, &hasTOTP, &policy)
	if isNoRows(err) {
		return false, "", fmt.Errorf("staff %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return false, "", fmt.Errorf("loading sign-in policy: %w", err)
	}
	ok, reason = policy.Allows(role, hasPassword, hasTOTP, method)
	return ok, reason, nil
}

// dummyHash returns the hash checked against when the account does not
// exist, so the answer takes as long as for a wrong password. It is made on
// first use: hashing costs tens of milliseconds and megabytes of memory,
// which every process start (an MTA pipe runs one per message) would pay.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("tramita-no-such-account")
	return h
})

// validTOTP checks code against secret at the service's clock, accepting
// one 30-second step either side, and returns the step it matched.
func (s *Service) validTOTP(secret, code string) (int64, bool) {
	now := s.cfg.Now()
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	for _, d := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(d) * 30 * time.Second)
		want, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return at.Unix() / 30, true
		}
	}
	return 0, false
}

// startSession creates a session for staff member id; reason goes to the
// audit's sign-in row (e.g. a recovery code was used).
func (s *Service) startSession(ctx context.Context, id int64, method, client, reason string) (Session, error) {
	st, err := loadActiveStaff(ctx, s.pool, id, "")
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	sess := Session{Token: newToken(), Staff: st, Method: method, CreatedAt: now, ExpiresAt: now.Add(SessionAbsolute)}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO staff_sessions (token_hash, staff_id, method, created_at, last_seen_at, expires_at, client)
			VALUES ($1, $2, $3, $4, $4, $5, $6)`, tokenHash(sess.Token), id, method, now, sess.ExpiresAt, client); err != nil {
			return fmt.Errorf("creating session: %w", err)
		}
		return s.audit(ctx, tx, "signin", method, id, st.Email, client, reason)
	})
	if err != nil {
		return Session{}, err
	}
	s.log.Info("staff signed in", "staff_id", id, "method", method)
	return sess, nil
}

// SignInOIDC signs in the active staff member whose registered address is
// email, taken from an ID token's verified email claim (the caller checked
// email_verified). An unknown address is an audited ErrSignInFailed.
func (s *Service) SignInOIDC(ctx context.Context, email, client string) (Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	done, err := s.checkThrottle(ctx, MethodOIDC, email, client)
	if err != nil {
		return Session{}, err
	}
	defer done()
	st, err := s.StaffByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return Session{}, s.fail(ctx, MethodOIDC, 0, email, client, "no active staff member with this verified e-mail", ErrSignInFailed)
	}
	if err != nil {
		return Session{}, err
	}
	if ok, reason, err := s.signInAllowed(ctx, st.ID, MethodOIDC); err != nil {
		return Session{}, err
	} else if !ok {
		return Session{}, s.fail(ctx, MethodOIDC, st.ID, email, client, reason, ErrSecondFactorRequired)
	}
	return s.startSession(ctx, st.ID, MethodOIDC, client, "")
}

// RequestSignInLink mails a one-time sign-in link to the registered
// address of the active staff member email: linkBase followed by the token
// (e.g. "https://host/gestao/entrar/link/"). An unknown address, one the
// SignInPolicy does not let in by link, or one that already got
// MaxLinksAccount links in ThrottleWindow, gets nothing;
// the caller answers the same in every case (no account enumeration). The
// mail goes through the outbox (kind signin_link).
func (s *Service) RequestSignInLink(ctx context.Context, email, client, linkBase string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	// The account's failures do not stop a link: it goes to the registered
	// address only, at most MaxLinksAccount a window, and it is the way in
	// the throttled password form offers ("peça um link por e-mail"); an
	// attacker's wrong passwords would otherwise lock the owner out of
	// every method.
	done, err := s.checkThrottle(ctx, MethodLink, "", client)
	if err != nil {
		return err
	}
	defer done()
	st, err := s.StaffByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return s.fail(ctx, MethodLink, 0, email, client, "link asked for an unknown or inactive account", nil)
	}
	if err != nil {
		return err
	}
	if ok, reason, err := s.signInAllowed(ctx, st.ID, MethodLink); err != nil {
		return err
	} else if !ok {
		return s.fail(ctx, MethodLink, st.ID, email, client, reason, nil)
	}
	now := s.now()
	var recent int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM staff_signin_links WHERE staff_id = $1 AND created_at > $2`,
		st.ID, now.Add(-ThrottleWindow)).Scan(&recent); err != nil {
		return fmt.Errorf("counting sign-in links: %w", err)
	}
	if recent >= MaxLinksAccount {
		return s.audit(ctx, s.pool, "throttled", MethodLink, st.ID, email, client, "too many links")
	}
	org, err := s.Organization(ctx)
	if err != nil {
		return err
	}
	token := newToken()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO staff_signin_links (token_hash, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			tokenHash(token), st.ID, now, now.Add(SignInLinkTTL)); err != nil {
			return fmt.Errorf("creating sign-in link: %w", err)
		}
		n := Notification{Kind: NotifySignInLink, To: []string{st.Email}, StaffID: st.ID, At: now,
			Data: map[string]any{"link": linkBase + token, "link_hash": base64.RawURLEncoding.EncodeToString(tokenHash(token)),
				"expires": now.Add(SignInLinkTTL)}}
		if _, err := enqueue(ctx, tx, org, &n); err != nil {
			return err
		}
		return s.audit(ctx, tx, "link_sent", MethodLink, st.ID, email, client, "")
	})
	if err != nil {
		return err
	}
	s.queued()
	return nil
}

// usableLink is the one condition of a sign-in link that may still be
// used ($1 its token hash, $2 now): not used, not expired. SignInLinkValid
// asks it, SignInWithLink uses the link under it.
const usableLink = `token_hash = $1 AND used_at IS NULL AND expires_at > $2`

// SignInWithLink signs in with a mailed link's token: valid for
// SignInLinkTTL, once. The link's token is then removed from the outbox
// row that carried it. A link the SignInPolicy no longer allows (the
// organization turned staff_signin to password_totp after it was mailed)
// is used up and gives ErrSecondFactorRequired.
func (s *Service) SignInWithLink(ctx context.Context, token, client string) (Session, error) {
	done, err := s.checkThrottle(ctx, MethodLink, "", client)
	if err != nil {
		return Session{}, err
	}
	defer done()
	now := s.now()
	h := tokenHash(token)
	var staffID int64
	err = s.pool.QueryRow(ctx, `UPDATE staff_signin_links SET used_at = $2 WHERE `+usableLink+` RETURNING staff_id`, h, now).Scan(&staffID)
	if isNoRows(err) {
		return Session{}, s.fail(ctx, MethodLink, 0, "", client, "unknown, used or expired link", ErrSignInFailed)
	}
	if err != nil {
		return Session{}, fmt.Errorf("using sign-in link: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE notifications SET data = data - 'link'
		WHERE kind = 'signin_link' AND staff_id = $1 AND data->>'link_hash' = $2`, staffID, base64.RawURLEncoding.EncodeToString(h)); err != nil {
		return Session{}, fmt.Errorf("clearing used link: %w", err)
	}
	if ok, reason, err := s.signInAllowed(ctx, staffID, MethodLink); errors.Is(err, ErrNotFound) {
		return Session{}, s.fail(ctx, MethodLink, staffID, "", client, "staff member deactivated", ErrSignInFailed)
	} else if err != nil {
		return Session{}, err
	} else if !ok {
		// A link mailed before the policy (or the member's factors)
		// changed; it is used up all the same.
		return Session{}, s.fail(ctx, MethodLink, staffID, "", client, reason, ErrSecondFactorRequired)
	}
	sess, err := s.startSession(ctx, staffID, MethodLink, client, "")
	if errors.Is(err, ErrNotFound) {
		return Session{}, s.fail(ctx, MethodLink, staffID, "", client, "staff member deactivated", ErrSignInFailed)
	}
	return sess, err
}

// SignInLinkValid reports whether token is a usable sign-in link (for the
// GET that shows the "Entrar" button), without using it.
func (s *Service) SignInLinkValid(ctx context.Context, token string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff_signin_links WHERE `+usableLink+`)`,
		tokenHash(token), s.now()).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("checking sign-in link: %w", err)
	}
	return ok, nil
}

// SessionStaff returns the staff member signed in with token, refreshed
// from the database (units and role as they are now), and extends the
// idle timeout. ErrSessionEnded when the session does not exist, was idle
// for SessionIdle, passed SessionAbsolute, or its staff member is no
// longer active; an expired session is deleted.
func (s *Service) SessionStaff(ctx context.Context, token string) (Staff, error) {
	if token == "" {
		return Staff{}, ErrSessionEnded
	}
	now := s.now()
	h := tokenHash(token)
	var st Staff
	var last, expires time.Time
	// The session and its staff member (role, units) in one read.
	err := s.pool.QueryRow(ctx, `SELECT s.last_seen_at, s.expires_at, st.id, st.email, st.name, st.role, st.active,
			coalesce((SELECT array_agg(su.unit_id) FROM staff_units su WHERE su.staff_id = st.id), '{}')
		FROM staff_sessions s JOIN staff st ON st.id = s.staff_id WHERE s.token_hash = $1`, h).
		Scan(&last, &expires, &st.ID, &st.Email, &st.Name, &st.Role, &st.Active, &st.UnitIDs)
	if isNoRows(err) {
		return Staff{}, ErrSessionEnded
	}
	if err != nil {
		return Staff{}, fmt.Errorf("loading session: %w", err)
	}
	if !st.Active || !now.Before(expires) || now.Sub(last) >= SessionIdle {
		if _, err := s.pool.Exec(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1`, h); err != nil {
			return Staff{}, fmt.Errorf("ending session: %w", err)
		}
		reason := "idle"
		switch {
		case !st.Active:
			reason = "staff member deactivated"
		case !now.Before(expires):
			reason = "absolute limit"
		}
		if err := s.audit(ctx, s.pool, "expired", "", st.ID, "", "", reason); err != nil {
			return Staff{}, err
		}
		return Staff{}, ErrSessionEnded
	}
	if now.Sub(last) >= sessionTouchStep {
		if _, err := s.pool.Exec(ctx, `UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1`, h, now); err != nil {
			return Staff{}, fmt.Errorf("touching session: %w", err)
		}
	}
	return st, nil
}

// SignOut ends the session of token ("sair").
func (s *Service) SignOut(ctx context.Context, token, client string) error {
	var id int64
	err := s.pool.QueryRow(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1 RETURNING staff_id`, tokenHash(token)).Scan(&id)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ending session: %w", err)
	}
	return s.audit(ctx, s.pool, "signout", "", id, "", client, "")
}

// SignOutEverywhere ends every session of the staff member signed in
// with token ("sair de todas as sessões": a lost phone, a shared computer
// left signed in) and returns how many ended; the audit has one signout
// per session, reason "all sessions". An unknown token ends nothing.
func (s *Service) SignOutEverywhere(ctx context.Context, token, client string) (int64, error) {
	t, err := s.pool.Exec(ctx, `WITH me AS (SELECT staff_id FROM staff_sessions WHERE token_hash = $1),
			ended AS (DELETE FROM staff_sessions s USING me WHERE s.staff_id = me.staff_id RETURNING s.staff_id)
		INSERT INTO staff_signin_audit (at, event, staff_id, client, reason) SELECT $2, 'signout', staff_id, $3, 'all sessions' FROM ended`,
		tokenHash(token), s.now(), client)
	if err != nil {
		return 0, fmt.Errorf("ending all sessions: %w", err)
	}
	return t.RowsAffected(), nil
}

// endInactiveSessions deletes the sessions of staff members who are no
// longer active (org apply deactivated them), auditing each.
func endInactiveSessions(ctx context.Context, tx DBTX, now time.Time) (int64, error) {
	t, err := tx.Exec(ctx, `WITH ended AS (DELETE FROM staff_sessions s USING staff st
			WHERE st.id = s.staff_id AND NOT st.active RETURNING s.staff_id)
		INSERT INTO staff_signin_audit (at, event, staff_id, reason) SELECT $1, 'ended', staff_id, 'staff member deactivated' FROM ended`, now)
	if err != nil {
		return 0, fmt.Errorf("ending sessions of deactivated staff: %w", err)
	}
	return t.RowsAffected(), nil
}
