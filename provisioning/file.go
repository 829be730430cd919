package provisioning

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/board"
	"github.com/sipbell/sipbell/device"
	"github.com/sipbell/sipbell/internal/cfgerr"
	"github.com/sipbell/sipbell/notify"
	"github.com/sipbell/sipbell/ua"
	"github.com/sipbell/sipbell/ua/media"
	"github.com/sipbell/sipbell/ua/presence"
)

// DefaultPath is where sipbell looks for its configuration file.
const DefaultPath = "/etc/sipbell/sipbell.yaml"

// MaxFileSize bounds the size of a configuration file or body.
const MaxFileSize = 1 << 20

// ErrInvalid is wrapped by every error that reports an invalid file.
var ErrInvalid = errors.New("invalid configuration")

// File is the whole configuration: one section per package.
type File struct {
	SIP          ua.Config       `yaml:"sip"`
	Media        media.Config    `yaml:"media"`
	Audio        audio.Config    `yaml:"audio"`
	Board        board.Config    `yaml:"board"`
	Device       device.Config   `yaml:"device"`
	Presence     presence.Config `yaml:"presence"`
	Notify       notify.Config   `yaml:"notify"`
	Provisioning Config          `yaml:"provisioning"`
}

// Default returns the configuration used when no file exists: good enough
// to run on a laptop with the simulated board and no PBX.
func Default() File {
	return File{
		SIP:          ua.DefaultConfig(),
		Media:        media.DefaultConfig(),
		Audio:        audio.DefaultConfig(),
		Board:        board.DefaultConfig(),
		Device:       device.DefaultConfig(),
		Presence:     presence.DefaultConfig(),
		Notify:       notify.DefaultConfig(),
		Provisioning: DefaultConfig(),
	}
}

// Validate checks every section and returns a cfgerr.List with full paths.
func (f *File) Validate() error {
	var errs cfgerr.List
	errs.Merge("sip", f.SIP.Validate())
	errs.Merge("media", f.Media.Validate())
	errs.Merge("audio", f.Audio.Validate())
	errs.Merge("board", f.Board.Validate())
	errs.Merge("device", f.Device.Validate())
	errs.Merge("presence", f.Presence.Validate())
	errs.Merge("notify", f.Notify.Validate())
	errs.Merge("provisioning", f.Provisioning.Validate())
	f.crossCheck(&errs)
	return errs.Err()
}

// crossCheck reports what each section accepts alone but the device could
// not do with the others: a button target the user agent cannot call
// (a bare user with no account to call through), a button the board has
// no pin for, a door code with no door relay to open. Fields that already
// have an error are not reported twice.
func (f *File) crossCheck(errs *cfgerr.List) {
	if f.Device.Mode == device.ModeATA {
		return // an analog phone has no call buttons and no door
	}
	prof := "board.profile " + f.Board.Profile
	for i, b := range f.Device.Buttons {
		if len(b.Targets) > 0 && !f.Board.Wired(board.CallButton, i) {
			errs.Add(cfgerr.Index("device.buttons", i), "the board has no call button %d (%s, board.pins.call_buttons[%d]): nobody could press it; wire a pin there or remove this entry", i+1, prof, i)
		}
		for j, t := range b.Targets {
			path := cfgerr.Index(cfgerr.Index("device.buttons", i)+".targets", j)
			if reported(*errs, path) {
				continue
			}
			err := f.SIP.CheckTarget(t)
			switch {
			case errors.Is(err, ua.ErrBareUser):
				errs.Add(path, "%q is a bare user; it needs a sip.accounts entry to call through, or write a full URI sip:%s@host", t, strings.TrimSpace(t))
			case err != nil:
				errs.Add(path, "%q: %s", t, strings.TrimPrefix(err.Error(), fmt.Sprintf("ua: call %q: ", t)))
			}
		}
	}
	if c := f.Device.Door.Code; c != "" && !reported(*errs, "device.door.code") && !f.Board.Wired(board.DoorRelay, 0) {
		errs.Add("device.door.code", "%q would open the door through door relay 1, which the board does not wire (%s, board.pins.door_relays[0]); wire it, or set code: \"\" for a station that opens no door", c, prof)
	}
}

// Load reads and validates the file at path on top of the defaults.
func Load(path string) (File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return File{}, fmt.Errorf("load config %s: %w", path, err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return File{}, fmt.Errorf("load config %s: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		return File{}, fmt.Errorf("load config %s: %w", path, err)
	}
	return f, nil
}

// Parse decodes YAML on top of Default and validates the result. Errors
// wrap ErrInvalid and, where they are about fields, are a cfgerr.List whose
// entries carry the field path and the line number.
func Parse(data []byte) (File, error) {
	f := Default()
	if len(data) > MaxFileSize {
		return f, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, MaxFileSize)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return f, fmt.Errorf("%w: %s", ErrInvalid, yamlMessage(err))
	}
	if len(doc.Content) == 0 { // empty file: all defaults
		return f, wrapList(f.Validate())
	}
	root := doc.Content[0]
	ix := newIndex()
	var errs cfgerr.List
	checkKeys(root, reflect.TypeOf(f), "", ix, &errs)
	if err := root.Decode(&f); err != nil {
		for _, fe := range typeErrors(err, ix) {
			if fe.Path == "" || !reported(errs, fe.Path) {
				errs = append(errs, fe)
			}
		}
	}
	// Validate what did decode, so one run reports every problem; a field
	// already reported (or under a reported field) is not reported twice.
	if err := f.Validate(); err != nil {
		var l cfgerr.List
		errors.As(err, &l)
		for _, fe := range l {
			if !reported(errs, fe.Path) {
				fe.Line = ix.line(fe.Path)
				errs = append(errs, fe)
			}
		}
	}
	return f, wrapList(errs.Err())
}

// reported tells whether path, or a field above it, already has an error.
func reported(errs cfgerr.List, path string) bool {
	for _, e := range errs {
		if e.Path != "" && (path == e.Path || strings.HasPrefix(path, e.Path+".") || strings.HasPrefix(path, e.Path+"[")) {
			return true
		}
	}
	return false
}

// wrapList returns err (a cfgerr.List or nil) wrapped so that both
// errors.Is(err, ErrInvalid) and errors.As(err, *cfgerr.List) hold.
func wrapList(err error) error {
	if err == nil {
		return nil
	}
	return &invalidError{err}
}

type invalidError struct{ err error }

func (e *invalidError) Error() string   { return e.err.Error() }
func (e *invalidError) Unwrap() []error { return []error{ErrInvalid, e.err} }

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// typeErrors turns a yaml.TypeError into field errors with paths and lines.
func typeErrors(err error, ix *index) cfgerr.List {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return cfgerr.List{{Msg: yamlMessage(err)}}
	}
	var out cfgerr.List
	for _, msg := range te.Errors {
		fe := cfgerr.FieldError{Msg: msg}
		if m := lineRE.FindStringSubmatch(msg); m != nil {
			fe.Line, _ = strconv.Atoi(m[1])
			fe.Msg = m[2]
			fe.Path = ix.pathAt(fe.Line)
		}
		out = append(out, fe)
	}
	return out
}

func yamlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}
