package ui_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/rtchat/rtchat/chat"
)

// The fake keeps files' bytes in memory, by file id, and checks them
// against the SHA-256 as package chat does.

// addFile stores data as a file message of user in channel.
func (f *fakeBackend) addFile(channel, user, name, typ string, data []byte, at time.Time) chat.Message {
	sum := sha256.Sum256(data)
	f.mu.Lock()
	id := fmt.Sprintf("%016x", f.seq+1)
	if f.files == nil {
		f.files = map[string][]byte{}
	}
	f.files[id] = bytes.Clone(data)
	f.mu.Unlock()
	m := f.add(channel, user, "", at)
	m.File = &chat.FileInfo{ID: id, Name: name, Size: int64(len(data)), Type: typ, SHA256: hex.EncodeToString(sum[:])}
	f.mu.Lock()
	f.msgs[channel][len(f.msgs[channel])-1] = m
	f.mu.Unlock()
	return m
}

// corruptFile changes the stored bytes of file id.
func (f *fakeBackend) corruptFile(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[id] = append(f.files[id], 'x')
}

func (f *fakeBackend) SendFile(ctx context.Context, up chat.Upload) (chat.Sent, error) {
	if err := chat.CheckFileSize(up.Size, f.MaxFileBytes()); err != nil {
		return chat.Sent{}, err
	}
	data, err := io.ReadAll(up.Body)
	if err != nil {
		return chat.Sent{}, err
	}
	if up.Progress != nil {
		up.Progress(int64(len(data)), up.Size)
	}
	m := f.addFile(up.Channel, f.user, up.Name, chat.GuessType(up.Name, data), data, time.Now())
	m.Text = up.Caption
	f.mu.Lock()
	f.sentFiles = append(f.sentFiles, m)
	f.mu.Unlock()
	f.events <- chat.MessageEvent{Message: m}
	return chat.Sent{ID: m.ID, MsgID: m.MsgID}, nil
}

func (f *fakeBackend) FetchFile(ctx context.Context, conv string, m chat.Message, w io.Writer, progress func(done, total int64)) error {
	f.mu.Lock()
	data, ok := f.files[m.File.ID]
	f.mu.Unlock()
	if !ok {
		return chat.ErrFileGone
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != m.File.SHA256 {
		return chat.ErrFileMismatch
	}
	_, err := w.Write(data)
	return err
}

func (f *fakeBackend) MaxFileBytes() int64 { return chat.DefaultMaxFileBytes }
