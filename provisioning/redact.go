package provisioning

import (
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Redacted is what a secret reads as when shown.
const Redacted = "********"

// Redact returns a copy of f in which every non-empty string field tagged
// `secret:"true"` reads Redacted, for display and logs.
func Redact(f File) File {
	v := reflect.ValueOf(&f).Elem()
	redactValue(v)
	return f
}

func redactValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			c := reflect.New(v.Elem().Type())
			c.Elem().Set(v.Elem())
			v.Set(c)
			redactValue(c.Elem())
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := v.Field(i)
			if !t.Field(i).IsExported() {
				continue
			}
			if t.Field(i).Tag.Get("secret") == "true" && f.Kind() == reflect.String {
				if f.String() != "" {
					f.SetString(Redacted)
				}
				continue
			}
			redactValue(f)
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
		for i := 0; i < c.Len(); i++ {
			redactValue(c.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			e := reflect.New(it.Value().Type()).Elem()
			e.Set(it.Value())
			redactValue(e)
			c.SetMapIndex(it.Key(), e)
		}
		v.Set(c)
	}
}

// MarshalRedacted renders f as YAML with secrets redacted.
func MarshalRedacted(f File) ([]byte, error) {
	return yaml.Marshal(Redact(f))
}
