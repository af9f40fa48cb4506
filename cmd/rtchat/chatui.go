package main

import (
	"context"
	"errors"
)

func runChat(ctx context.Context, args []string, io stdio) error {
	return errors.New("the full-screen client is not built yet")
}
