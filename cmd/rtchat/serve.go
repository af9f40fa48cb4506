package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rtchat/rtchat/internal/embedded"
)

func runServe(ctx context.Context, args []string, std stdio) error {
	fs := newFlagSet("serve", "[--addr 127.0.0.1:6379] [--password-file FILE] [--allow-remote]",
		"Run the embedded in-memory server in the foreground until Ctrl+C. Data lives only as long as this process.", std.err)
	addr := fs.String("addr", embedded.DefaultAddr, "address to listen on (loopback unless --allow-remote)")
	pwFile := fs.String("password-file", "", "require the password in `FILE` (its first line); clients give it as REDIS_PASSWORD")
	remote := fs.Bool("allow-remote", false, "allow an address other machines can reach")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	loopback, err := listenAddr(*addr, "127.0.0.1:6390", *remote, "--password-file to require a password")
	if err != nil {
		return err
	}
	var password string
	if *pwFile != "" {
		if password, err = readPasswordFile(*pwFile); err != nil {
			return err
		}
	}
	srv, err := embedded.StartWith(*addr, password)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%s is taken; is another server already listening there? choose another --addr", *addr)
		}
		return err
	}
	defer srv.Close()
	fmt.Fprintf(std.err, "rtchat: embedded server listening on %s (in memory only; Ctrl+C stops it)\n", srv.Addr)
	if !loopback && password == "" {
		fmt.Fprintf(std.err, "rtchat: warning: anyone who can reach %s can read and write every channel; use --password-file\n", srv.Addr)
	}
	return serveUntilDone(ctx, srv, std)
}

// serveUntilDone reports connections until ctx ends or a signal arrives.
func serveUntilDone(ctx context.Context, srv *embedded.Server, std stdio) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	lastOpen, lastTotal := 0, 0
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintf(std.err, "rtchat: embedded server stopped\n")
			return nil
		case <-tick.C:
			open, total := srv.Connections()
			if open == lastOpen && total == lastTotal {
				continue
			}
			fmt.Fprintf(std.err, "rtchat: %s %d new connection(s), %d open\n", time.Now().Format("15:04:05"), total-lastTotal, open)
			lastOpen, lastTotal = open, total
		}
	}
}

// readPasswordFile reads a password from the first line of path. The
// password is never printed; neither is the file's content in an error.
func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the password file: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pw := strings.TrimRight(first, "\r")
	if pw == "" {
		return "", fmt.Errorf("the password file %s has an empty first line; put the password there", path)
	}
	return pw, nil
}

// listenAddr checks a --addr: host:port (example shows one), and on
// loopback unless remote (the --allow-remote flag) says otherwise; then
// what else a reachable address needs. It reports whether it is loopback.
func listenAddr(addr, example string, remote bool, then string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("--addr %q is not host:port (e.g. %s)", addr, example)
	}
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil {
		loopback = ip.IsLoopback()
	}
	if !loopback && !remote {
		return false, fmt.Errorf("--addr %s can be reached from other machines; add --allow-remote to mean it (and %s)", addr, then)
	}
	return loopback, nil
}
