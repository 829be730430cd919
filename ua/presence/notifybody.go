package presence

import (
	"errors"
	"fmt"
	"mime"
)

// CheckBody checks a received NOTIFY (or PUBLISH) body by its content
// type and returns the status to answer when it is refused: 413 when too
// large, 415 for a type other than PIDF or dialog-info, 400 when it does
// not parse; 0 and nil when it is fine (an empty body is fine).
func CheckBody(contentType string, body []byte) (int, error) {
	if len(body) == 0 {
		return 0, nil
	}
	if len(body) > MaxBodySize {
		return 413, fmt.Errorf("check body: %d bytes, limit %d: %w", len(body), MaxBodySize, ErrTooLarge)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return 415, fmt.Errorf("check body: content type %q: %w", contentType, ErrInvalid)
	}
	switch mt {
	case ContentTypePIDF:
		_, err = ParsePIDF(body)
	case ContentTypeDialogInfo:
		_, err = ParseDialogInfo(body)
	default:
		return 415, fmt.Errorf("check body: content type %q not supported: %w", mt, ErrInvalid)
	}
	switch {
	case err == nil:
		return 0, nil
	case errors.Is(err, ErrTooLarge):
		return 413, err
	}
	return 400, err
}
