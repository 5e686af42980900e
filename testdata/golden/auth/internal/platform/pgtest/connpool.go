package pgtest

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// connPool keeps a few admin connections open: a connection costs a backend start (a few
// milliseconds), as much as a clone on tmpfs. (pgxpool would pull in another module.)
type connPool struct {
	dsn  string
	idle chan *pgx.Conn
}

func newConnPool(dsn string, size int) *connPool {
	return &connPool{dsn: dsn, idle: make(chan *pgx.Conn, size)}
}

func (p *connPool) get(ctx context.Context) (*pgx.Conn, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	c, err := pgx.Connect(ctx, p.dsn)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return c, nil
}

// put returns c for reuse, or closes it when it is broken or the pool is full.
func (p *connPool) put(c *pgx.Conn) {
	if c.IsClosed() || c.PgConn().TxStatus() != 'I' {
		c.Close(context.Background())
		return
	}
	select {
	case p.idle <- c:
	default:
		c.Close(context.Background())
	}
}

func (p *connPool) close() {
	for {
		select {
		case c := <-p.idle:
			c.Close(context.Background())
		default:
			return
		}
	}
}
