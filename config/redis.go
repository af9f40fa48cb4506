package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// RedisOptions turns the Redis settings into go-redis options for one code
// path (redis.NewUniversalClient) whether the target is one node or a
// cluster. A URL without a password takes Redis.Password.
func (c Config) RedisOptions() (*redis.UniversalOptions, error) {
	o := &redis.UniversalOptions{
		Username: c.Redis.Username,
		Password: c.Redis.Password.Reveal(),
		DB:       c.Redis.DB,
		// Pipelines on the connections commands use: go-redis's own pool
		// for pipelines would dial a second connection (connect and HELLO:
		// two more round trips over a network) for the first pipeline.
		PipelinePoolSize: -1,
		// No CLIENT SETINFO after HELLO: it only names the library in
		// CLIENT LIST, and costs each new connection a round trip.
		DisableIdentity: true,
		// Nor CLIENT MAINT_NOTIFICATIONS (a managed Redis's maintenance
		// hand-offs; rtchat reconnects on its own): a round trip a new
		// connection, refused by most servers.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	useTLS := c.Redis.TLS
	switch {
	case len(c.Redis.Addrs) > 0:
		o.Addrs = c.Redis.Addrs
		o.IsClusterMode = true
	case c.Redis.URL != "":
		u, err := redis.ParseURL(c.Redis.URL.Reveal())
		if err != nil {
			// The parse error may quote the URL, password included: drop it.
			_ = err
			return nil, fmt.Errorf("redis.url %s: cannot be parsed; write it as redis://[user:password@]host:port[/db]", c.Server())
		}
		o.Addrs = []string{u.Addr}
		o.DB = u.DB
		if u.Username != "" {
			o.Username = u.Username
		}
		if u.Password != "" {
			o.Password = u.Password
		}
		useTLS = useTLS || u.TLSConfig != nil
	default:
		o.Addrs = []string{net.JoinHostPort(c.Redis.Host, strconv.Itoa(c.Redis.Port))}
	}
	if c.Redis.Cluster {
		o.IsClusterMode = true
	}
	if useTLS {
		cfg, err := c.tlsConfig(o.Addrs[0])
		if err != nil {
			return nil, err
		}
		o.TLSConfig = cfg
	}
	return o, nil
}

func (c Config) tlsConfig(addr string) (*tls.Config, error) {
	host, _, _ := net.SplitHostPort(addr)
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host, InsecureSkipVerify: c.Redis.InsecureSkipVerify}
	if c.Redis.CAFile != "" {
		pem, err := os.ReadFile(c.Redis.CAFile)
		if err != nil {
			return nil, fmt.Errorf("redis.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("redis.ca_file %s: no PEM certificate in it", c.Redis.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// RedisUsername is the Redis user rtchat signs in as: redis.username
// (REDIS_USERNAME), else the URL's; "" for the default user.
func (c Config) RedisUsername() string {
	if c.Redis.Username != "" {
		return c.Redis.Username
	}
	if u, err := url.Parse(c.Redis.URL.Reveal()); err == nil && u.User != nil {
		return u.User.Username()
	}
	return ""
}
