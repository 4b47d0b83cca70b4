// Package pgtest runs a private PostgreSQL 15 cluster for one test
// package: Main starts it from TestMain, MustDB gives each test a fresh
// database in it. PostgreSQL refuses to run as root and CI runs as root,
// so under root the cluster runs as the postgres user (runuser) in a
// temporary folder given to that user; it listens on a loopback port only.
//
// Without PostgreSQL the tests that need it skip, unless
// ANJUNGAN_REQUIRE_PEERS=1, when they fail (CI: `make test` installs it).
package pgtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bin is where Debian's postgresql-15 puts its programs.
const Bin = "/usr/lib/postgresql/15/bin"

// Cluster is a running private cluster.
type Cluster struct {
	Dir  string // data under Dir/data, socket in Dir, log in Dir/log
	Port int
	asPG bool // run the programs as the postgres user
	mu   sync.Mutex
}

var (
	current  *Cluster
	startErr error
	dbSeq    atomic.Int64
)

// Main starts a cluster, runs the package's tests and stops it; a test
// package's TestMain calls os.Exit(pgtest.Main(m)). A cluster that cannot
// start makes MustDB skip (or fail, see the package comment).
func Main(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run() // listing tests (make fuzz does) runs none
	}
	c, err := Start()
	if err != nil {
		startErr = err
	} else {
		current = c
	}
	code := m.Run()
	if c != nil {
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// Required reports whether a missing PostgreSQL is a failure.
func Required() bool { return os.Getenv("ANJUNGAN_REQUIRE_PEERS") == "1" }

// Start makes and starts a new cluster in a new temporary folder.
func Start() (*Cluster, error) {
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	c, err := Open(dir)
	if err != nil {
		os.RemoveAll(dir)
	}
	return c, err
}

// Open starts the cluster kept in dir (made with initdb the first time),
// on a free loopback port: `anjunganctl dev -fleet` keeps one under
// var/fleet/pg. Shutdown stops it and keeps its data.
func Open(dir string) (*Cluster, error) {
	if _, err := os.Stat(filepath.Join(Bin, "initdb")); err != nil {
		return nil, fmt.Errorf("PostgreSQL 15 is not installed (apt-get install postgresql): %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, asPG: os.Geteuid() == 0}
	if c.asPG {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(c.data(), "PG_VERSION")); err != nil {
		if out, err := c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "anjungan", "--no-sync", "-E", "UTF8", "--locale", "C"); err != nil {
			return nil, fmt.Errorf("initdb: %v: %s", err, out)
		}
	}
	var err error
	if c.Port, err = freePort(); err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		return nil, fmt.Errorf("%w: %s", err, log)
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	name := filepath.Join(Bin, prog)
	if c.asPG {
		args = append([]string{"-u", "postgres", "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = c.Dir
	return cmd.CombinedOutput()
}

// opts are the server's options: loopback only, the socket in Dir, and
// no fsync (a test cluster; a restart with pg_ctl still flushes).
func (c *Cluster) opts() string {
	return fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", c.Port, c.Dir)
}

func (c *Cluster) start() error {
	out, err := c.run("pg_ctl", "-D", c.data(), "-o", c.opts(), "-l", filepath.Join(c.Dir, "log"), "-w", "-t", "60", "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return nil
}

// Restart stops the server (fast: open connections are cut) and starts
// it again on the same port, as a database restart in production would.
func (c *Cluster) Restart() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return c.start()
}

// Shutdown stops the server (fast) and keeps its folder.
func (c *Cluster) Shutdown() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// Stop stops the server and removes its folder.
func (c *Cluster) Stop() error {
	out, err := c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.Dir)
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// DSN is the address of database name in the cluster.
func (c *Cluster) DSN(name string) string {
	return fmt.Sprintf("postgres://anjungan@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// EnsureDB creates database name unless it exists and returns its DSN.
func (c *Cluster) EnsureDB(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT COUNT(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		return "", err
	}
	if n == 0 {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", err
		}
	}
	return c.DSN(name), nil
}

// NewDB creates an empty database and returns its DSN.
func (c *Cluster) NewDB(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return c.DSN(name), nil
}

// MustCluster returns the package's cluster (started by Main), skipping
// the test when there is none.
func MustCluster(tb testing.TB) *Cluster {
	tb.Helper()
	if current != nil {
		return current
	}
	err := startErr
	if err == nil {
		err = errors.New("no cluster: the package's TestMain must call pgtest.Main")
	}
	if Required() {
		tb.Fatalf("PostgreSQL: %v", err)
	}
	tb.Skipf("PostgreSQL: %v", err)
	return nil
}

// MustDB returns the DSN of a fresh, empty database for this test.
func MustDB(tb testing.TB) string {
	tb.Helper()
	c := MustCluster(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn, err := c.NewDB(ctx)
	if err != nil {
		tb.Fatalf("creating a test database: %v", err)
	}
	return dsn
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
