package mqtt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/jonboulle/clockwork"
	"github.com/sipbell/sipbell/device"
)

// ErrInvalidConfig wraps every configuration error New reports.
var ErrInvalidConfig = errors.New("mqtt: invalid config")

// Info describes the device for discovery.
type Info struct {
	Name    string // shown in Home Assistant (default "Door station")
	Version string // firmware version
	Buttons int    // call buttons: one doorbell event entity each
	Contact bool   // a door contact is wired: a binary_sensor
	Tamper  bool   // a tamper switch is wired: a binary_sensor
	// SelfTest: the speaker and microphone self-test runs (door mode): a
	// problem binary_sensor on <topic>/selftest.
	SelfTest bool
	Account  string // the primary account's AOR: its registration is the state
	// Relays name the door relays after the first (device.door.relays):
	// one Home Assistant button and command topic open/N each.
	Relays []string
}

// Commands are what MQTT commands do; who is "mqtt:<user>".
type Commands struct {
	Open   func(ctx context.Context, who string) error
	Call   func(ctx context.Context, targets []string) error
	Hangup func(ctx context.Context) error // ends every call
	// OpenRelay pulses relay N (1 is the door) for <topic>/command/<user>/open/N.
	OpenRelay func(ctx context.Context, who string, relay int) error
	// DND switches the door station's do-not-disturb (payload ON or OFF).
	DND func(ctx context.Context, who string, on bool) error
}

// Options are a Client's dependencies; zero fields take defaults.
type Options struct {
	Info     Info
	Commands Commands
	// Encode renders an event's JSON payload (required).
	Encode func(device.Event) []byte
	Clock  clockwork.Clock
	Log    *slog.Logger
}

// Client is one connection to the broker for the device's whole life.
type Client struct {
	cfg     Config
	opts    Options
	q       *queue
	tlsConf *tls.Config
	refused limiter

	mu    sync.Mutex
	state map[string]string // retained topic (states, self-test) -> last value
}

// msg is one publication.
type msg struct {
	topic    string
	payload  []byte
	retained bool
}

// New builds a Client for an enabled, valid cfg.
func New(cfg Config, opts Options) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if !cfg.Enabled() {
		return nil, fmt.Errorf("%w: no broker", ErrInvalidConfig)
	}
	cfg = cfg.withDefaults()
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Info.Name == "" {
		opts.Info.Name = "Door station"
	}
	c := &Client{cfg: cfg, opts: opts, q: newQueue(cfg.Queue), state: map[string]string{
		cfg.Topic + "/state/call": "idle", cfg.Topic + "/state/registration": "unknown"}}
	c.refused.clock = opts.Clock
	if strings.HasPrefix(cfg.Broker, "mqtts:") {
		c.tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("mqtt: read ca_file %s: %w", cfg.CAFile, err)
			}
			c.tlsConf.RootCAs = x509.NewCertPool()
			if !c.tlsConf.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%w: ca_file %s holds no PEM certificate", ErrInvalidConfig, cfg.CAFile)
			}
		}
	}
	return c, nil
}

// Notify queues ev's publications; it never blocks.
func (c *Client) Notify(ev device.Event) {
	t := c.cfg.Topic
	c.push(msg{topic: t + "/event/" + ev.Kind.String(), payload: c.opts.Encode(ev)})
	switch ev.Kind {
	case device.EventRang:
		c.push(msg{topic: fmt.Sprintf("%s/button/%d", t, ev.Button+1), payload: []byte(`{"event_type":"press"}`)})
		c.setState("call", "ringing")
	case device.EventAnswered:
		c.setState("call", "connected")
	case device.EventMissed, device.EventBusy, device.EventCallEnded:
		c.setState("call", "idle")
	case device.EventRegistration:
		if c.opts.Info.Account == "" || ev.Account == c.opts.Info.Account {
			c.setState("registration", ev.Reg.String())
		}
	case device.EventDoorContactOpen, device.EventDoorLeftOpen:
		c.setState("door", "open")
	case device.EventDoorClosed:
		c.setState("door", "closed")
	case device.EventTamper:
		c.setState("tamper", "on")
	case device.EventTamperCleared:
		c.setState("tamper", "off")
	case device.EventDND:
		c.setState("dnd", map[bool]string{true: "ON", false: "OFF"}[ev.On])
	}
}

// maxSelfTest bounds a self-test message's payload.
const maxSelfTest = 16 << 10

// SelfTested publishes the speaker and microphone self-test's outcome, a
// JSON object (time, pass, verdict, detail, level and noise figures,
// bands), retained at <topic>/selftest and again after each reconnection;
// a payload over 16 KiB is dropped and logged.
func (c *Client) SelfTested(payload []byte) {
	if len(payload) > maxSelfTest {
		c.opts.Log.Warn("mqtt: self-test result not published: too large", "bytes", len(payload), "max", maxSelfTest)
		return
	}
	c.retain(c.cfg.Topic+"/selftest", string(payload))
}

func (c *Client) setState(name, value string) {
	c.retain(c.cfg.Topic+"/state/"+name, value)
}

// retain publishes value at topic, retained, if it changed; it is
// published again after each reconnection.
func (c *Client) retain(topic, value string) {
	c.mu.Lock()
	same := c.state[topic] == value
	c.state[topic] = value
	c.mu.Unlock()
	if !same {
		c.push(msg{topic: topic, payload: []byte(value), retained: true})
	}
}

func (c *Client) push(m msg) {
	if d := c.q.push(m); d == 1 || d%100 == 0 && d > 0 {
		c.opts.Log.Warn("mqtt: broker not keeping up, oldest messages dropped", "dropped", d)
	}
}

// Run connects (retrying with backoff), publishes until ctx is done, then
// marks the device offline and disconnects.
func (c *Client) Run(ctx context.Context) error {
	connected := make(chan struct{}, 1)
	po := paho.NewClientOptions().AddBroker(c.cfg.brokerURL()).SetClientID(c.cfg.ClientID).
		SetUsername(c.cfg.User).SetPassword(c.cfg.Password).SetCleanSession(true).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(c.cfg.BackoffMax).SetKeepAlive(30*time.Second).SetOrderMatters(false).
		SetWill(c.availability(), "offline", 1, true).
		SetOnConnectHandler(func(paho.Client) {
			select {
			case connected <- struct{}{}:
			default:
			}
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			c.opts.Log.Warn("mqtt: connection to the broker lost", "broker", c.cfg.Broker, "err", err)
		})
	if c.tlsConf != nil {
		po.SetTLSConfig(c.tlsConf)
	}
	cl := paho.NewClient(po)
	cl.Connect() // retries by itself until Disconnect
	defer cl.Disconnect(250)
	sem := make(chan struct{}, 4)
	onCommand := func(_ paho.Client, m paho.Message) {
		select {
		case sem <- struct{}{}:
			go func() { defer func() { <-sem }(); c.command(ctx, m.Topic(), m.Payload()) }()
		default:
			c.refuse("busy", m.Topic(), "too many commands at once")
		}
	}
	for {
		select {
		case <-ctx.Done():
			if cl.IsConnectionOpen() {
				c.publish(cl, msg{topic: c.availability(), payload: []byte("offline"), retained: true})
			}
			return nil
		case <-connected:
			c.online(cl, onCommand)
		case <-c.q.ready():
			if !cl.IsConnectionOpen() {
				select { // keep it queued until the broker is back
				case <-connected:
					c.online(cl, onCommand)
				case <-ctx.Done():
					continue
				}
			}
			for m, ok := c.q.pop(); ok; m, ok = c.q.pop() {
				c.publish(cl, m)
			}
		}
	}
}

// online (re)announces the device after each connection: discovery,
// states, availability, and the command subscription.
func (c *Client) online(cl paho.Client, onCommand paho.MessageHandler) {
	c.opts.Log.Info("mqtt: connected", "broker", c.cfg.Broker, "topic", c.cfg.Topic)
	for _, m := range c.discovery() {
		c.publish(cl, m)
	}
	c.mu.Lock()
	var states []msg
	for t, v := range c.state {
		states = append(states, msg{topic: t, payload: []byte(v), retained: true})
	}
	c.mu.Unlock()
	for _, m := range states {
		c.publish(cl, m)
	}
	if len(c.cfg.Commands) > 0 {
		tok := cl.Subscribe(c.cfg.Topic+"/command/+/#", 1, onCommand)
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			c.opts.Log.Warn("mqtt: subscribe to commands failed", "topic", c.cfg.Topic+"/command/+/#", "err", tok.Error())
		}
	}
	c.publish(cl, msg{topic: c.availability(), payload: []byte("online"), retained: true})
}

func (c *Client) publish(cl paho.Client, m msg) {
	tok := cl.Publish(m.topic, 1, m.retained, m.payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		c.opts.Log.Debug("mqtt: publish failed", "topic", m.topic, "err", tok.Error())
	}
}

func (c *Client) availability() string { return c.cfg.Topic + "/availability" }
