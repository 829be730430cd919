//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// pack writes a newc cpio archive: init (this program, built for the
// guest's architecture) as /init and the kernel modules under /modules in
// the given (load) order.
func pack(out, init string, modules []string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	w := &cpioWriter{w: bufio.NewWriter(f)}
	for _, d := range []string{"dev", "proc", "sys", "modules"} {
		w.entry(d, 0o040755, nil)
	}
	if err := w.file("init", init, 0o100755); err != nil {
		return err
	}
	for i, m := range modules {
		// NAME=PATH puts an executable at NAME in the root (e.g. sipbell).
		if name, src, ok := strings.Cut(m, "="); ok {
			if err := w.file(name, src, 0o100755); err != nil {
				return err
			}
			continue
		}
		if err := w.file(fmt.Sprintf("modules/%02d-%s", i, filepath.Base(m)), m, 0o100644); err != nil {
			return err
		}
	}
	w.entry("TRAILER!!!", 0, nil)
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

type cpioWriter struct {
	w   *bufio.Writer
	ino int
	n   int64
	err error
}

func (c *cpioWriter) file(name, src string, mode int) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	c.entry(name, mode, data)
	return c.err
}

// entry writes one newc header, the name and the data, each padded to 4.
func (c *cpioWriter) entry(name string, mode int, data []byte) {
	if c.err != nil {
		return
	}
	c.ino++
	nlink := 1
	if mode&0o040000 != 0 {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	c.write([]byte(hdr))
	c.write(append([]byte(name), 0))
	c.pad()
	c.write(data)
	c.pad()
}

func (c *cpioWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.err = err
}

func (c *cpioWriter) pad() {
	for c.n%4 != 0 {
		c.write([]byte{0})
	}
}
