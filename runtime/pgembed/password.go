package pgembed

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Every cluster requires a password, scram-sha-256, for every connection: another account on the
// machine must not connect as the superuser and, say, run programs as the server's user with
// COPY … FROM PROGRAM. The password is random, made by initdb's time, and kept in the data
// directory in passwordFile, mode 0600, readable by the account alone (and root); [Server.DSN]
// carries it. It works the same on every platform, TCP on 127.0.0.1 included.

// passwordFile holds the superuser's password, in the data directory.
const passwordFile = "pgembed.password"

func newPassword() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

// scramIterations is the PBKDF2 iteration count of the stored password. Iterations slow down
// the guessing of a weak password from a stolen hash; this one is 192 random bits, past any
// guessing, while each connection pays them again on the client: PostgreSQL's 4096 cost half a
// millisecond of CPU per connection, a test suite opens thousands.
const scramIterations = 1

// scramSecret is the scram-sha-256 secret of password as PostgreSQL stores it (RFC 5802 and
// 7677: StoredKey and ServerKey from the salted password). Given to ALTER ROLE … PASSWORD in
// place of the password, it is stored as it is, with its iteration count.
func scramSecret(password string) (string, error) {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // never fails (crypto/rand panics instead)
	salted, err := pbkdf2.Key(sha256.New, password, salt, scramIterations, sha256.Size)
	if err != nil { // FIPS 140 mode refuses short keys and salts; these are not
		return "", fmt.Errorf("pgembed: password secret: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", scramIterations, b64(salt),
		b64(storedKey[:]), b64(hmacSHA256(salted, "Server Key"))), nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// initCluster runs initdb into dataDir with a new password for the superuser, then stores it in
// the data directory. initdb reads the password's secret (scramSecret) from a file in a private
// directory next to dataDir, removed afterwards.
func initCluster(ctx context.Context, bin, dataDir string, throwAway bool, acct account, out *tail) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dataDir), ".pgembed-init-")
	if err != nil {
		return fmt.Errorf("pgembed: initdb: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := acct.own(tmp); err != nil {
		return err
	}
	password := newPassword()
	pwFile := filepath.Join(tmp, "password")
	secret, err := scramSecret(password)
	if err != nil {
		return err
	}
	if err := writePrivateFile(pwFile, []byte(secret+"\n"), acct); err != nil {
		return err
	}
	if err := initdb(ctx, bin, dataDir, pwFile, throwAway, acct, out); err != nil {
		return err
	}
	return writePrivateFile(filepath.Join(dataDir, passwordFile), []byte(password+"\n"), acct)
}

// readPassword returns the superuser's password of the cluster in dataDir; fs.ErrNotExist when it
// has none (made by an older version of this package, with trust authentication).
func readPassword(dataDir string, acct account) (string, error) {
	b, err := readPrivateFile(filepath.Join(dataDir, passwordFile), acct, 0o600)
	if err != nil {
		return "", err
	}
	password := strings.TrimSpace(string(b))
	if _, err := hex.DecodeString(password); err != nil || len(password) < 32 {
		return "", fmt.Errorf("pgembed: %s: not a password written by pgembed: remove it", filepath.Join(dataDir, passwordFile))
	}
	return password, nil
}

// clusterPassword returns the password of the existing cluster in dataDir, giving it one first
// when it has none: a cluster made by an older version of this package, which trusted every
// local connection, or one whose password file was deleted.
func clusterPassword(ctx context.Context, bin, dataDir string, acct account, out *tail) (string, error) {
	password, err := readPassword(dataDir, acct)
	if !errors.Is(err, fs.ErrNotExist) {
		return password, err
	}
	password = newPassword()
	if err := setPassword(ctx, bin, dataDir, password, acct, out); err != nil {
		return "", err
	}
	if err := writePrivateFile(filepath.Join(dataDir, "pg_hba.conf"), []byte(hbaConf), acct); err != nil {
		return "", err
	}
	return password, writePrivateFile(filepath.Join(dataDir, passwordFile), []byte(password+"\n"), acct)
}

// setPassword sets the superuser's password with postgres in single-user mode, which needs no
// connection, so it works whatever pg_hba.conf allows. The password goes through stdin, not the
// command line, which other users can read.
func setPassword(ctx context.Context, bin, dataDir, password string, acct account, out *tail) error {
	args := []string{"--single", "-D", dataDir, "-c", "password_encryption=scram-sha-256", "postgres"}
	secret, err := scramSecret(password)
	if err != nil {
		return err
	}
	stdin := strings.NewReader("ALTER ROLE " + User + " PASSWORD '" + secret + "';\n")
	c, err := startChild(filepath.Join(bin, "postgres"+hostLayout().exe), args, dataDir, acct, stopKill, stdin, out)
	if err == nil {
		err = c.wait(ctx)
	}
	if err != nil {
		return fmt.Errorf("pgembed: set the password of %s: %w\n%s", dataDir, err, out.String())
	}
	return nil
}

// hbaConf replaces the pg_hba.conf of a cluster that trusted every local connection.
const hbaConf = `# Written by pgembed: every connection needs the superuser's password (pgembed.password).
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          all                 scram-sha-256
host    all          all   127.0.0.1/32  scram-sha-256
host    all          all   ::1/128       scram-sha-256
local   replication  all                 scram-sha-256
host    replication  all   127.0.0.1/32  scram-sha-256
host    replication  all   ::1/128       scram-sha-256
`
