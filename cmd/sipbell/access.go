package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/sipbell/sipbell/device"
)

// hashCode reads a door code from the first line of stdin and prints
// its hash for device.door.access.users[].code_hash. The code is read
// from stdin, never from the command line, so that it stays out of the
// shell history and the process list.
func hashCode(stdin io.Reader, stdout, stderr io.Writer) int {
	line, err := bufio.NewReader(io.LimitReader(stdin, 256)).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintln(stderr, "sipbell: hash-code: read the code:", err)
		return 1
	}
	h, err := device.HashCode(strings.TrimSpace(line), nil)
	if err != nil {
		fmt.Fprintln(stderr, "sipbell:", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}
