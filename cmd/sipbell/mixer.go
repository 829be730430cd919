package main

import (
	"log/slog"
	"strings"

	"github.com/sipbell/sipbell/audio"
	"github.com/sipbell/sipbell/audio/alsa"
)

// mixerDev is the part of alsa.Mixer that applyMixer uses.
type mixerDev interface {
	Path() string
	Controls() ([]alsa.Control, error)
	Get(name string, idx uint32) (alsa.Control, error)
	Set(name string, idx uint32, value int) (alsa.Control, error)
	Close() error
}

// openMixer opens a card's mixer; tests replace it.
var openMixer = func(card string) (mixerDev, error) { return alsa.OpenMixer(card) }

// mixerCard returns the card whose mixer audio.mixer sets: its own card,
// else the speaker's when that is a sound card; "" when none.
func mixerCard(cfg audio.Config) string {
	if cfg.Mixer.Card != "" {
		return cfg.Mixer.Card
	}
	p := cfg.Playback
	if p == audio.DeviceDiscard || strings.HasSuffix(strings.ToLower(p), ".wav") {
		return ""
	}
	return p
}

// applyMixer sets audio.mixer's controls on the sound card (cfg has the
// board's devices filled in), one by one: a control that is missing or
// refuses its value is logged with the card's control names and the rest
// are still set. It returns how many were set.
func applyMixer(cfg audio.Config, log *slog.Logger) int {
	if len(cfg.Mixer.Controls) == 0 {
		return 0
	}
	card := mixerCard(cfg)
	if card == "" {
		log.Warn("audio.mixer is set but there is no sound card to set it on", "playback", cfg.Playback)
		return 0
	}
	m, err := openMixer(card)
	if err != nil {
		log.Error("sound card mixer unavailable: volume and gain not set", "card", card, "err", err)
		return 0
	}
	defer m.Close()
	set := 0
	for _, s := range cfg.Mixer.Controls {
		c, err := m.Get(s.Name, s.Index)
		var v int
		if err == nil {
			v, err = c.ParseValue(s.Value)
		}
		if err == nil {
			c, err = m.Set(s.Name, s.Index, v)
		}
		if err != nil {
			log.Error("mixer control not set", "mixer", m.Path(), "control", s.Name, "index", s.Index, "value", s.Value,
				"err", err, "controls", controlNames(m))
			continue
		}
		set++
		log.Info("mixer control set", "mixer", m.Path(), "control", s.Name, "index", s.Index, "value", s.Value,
			"values", c.Values, "range", []int{c.Min, c.Max})
	}
	return set
}

// maxListedControls bounds the control names a log line lists.
const maxListedControls = 100

// controlNames lists the card's controls for an error message.
func controlNames(m mixerDev) string {
	cs, err := m.Controls()
	if err != nil {
		return err.Error()
	}
	var names []string
	for _, c := range cs[:min(len(cs), maxListedControls)] {
		names = append(names, c.Name)
	}
	return strings.Join(names, "; ")
}
