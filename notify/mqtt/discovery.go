package mqtt

import (
	"encoding/json"
	"fmt"
	"strings"
)

// entity is one Home Assistant discovery config: the component and its
// object id, with the component's fields.
type entity struct {
	component, object string
	fields            map[string]any
}

// nodeID is the discovery node id: the topic with "/" made "_".
func (c *Client) nodeID() string { return strings.ReplaceAll(c.cfg.Topic, "/", "_") }

// entities are what Home Assistant shows for this device.
func (c *Client) entities() []entity {
	t := c.cfg.Topic
	var es []entity
	for b := 1; b <= max(c.opts.Info.Buttons, 1); b++ {
		es = append(es, entity{"event", fmt.Sprintf("button%d", b), map[string]any{
			"name": fmt.Sprintf("Button %d", b), "device_class": "doorbell", "event_types": []string{"press"},
			"state_topic": fmt.Sprintf("%s/button/%d", t, b)}})
	}
	es = append(es, entity{"button", "relay1", map[string]any{"name": "Open door", "icon": "mdi:door-open",
		"command_topic": t + "/command/" + c.cfg.HomeAssistant.User + "/open", "payload_press": "PRESS"}})
	for i, name := range c.opts.Info.Relays { // relay 2 on: open/N
		if name == "" {
			name = fmt.Sprintf("relay %d", i+2)
		}
		es = append(es, entity{"button", fmt.Sprintf("relay%d", i+2), map[string]any{"name": "Open " + name,
			"icon": "mdi:gate-open", "payload_press": "PRESS",
			"command_topic": fmt.Sprintf("%s/command/%s/open/%d", t, c.cfg.HomeAssistant.User, i+2)}})
	}
	es = append(es,
		entity{"sensor", "call", map[string]any{"name": "Call", "state_topic": t + "/state/call",
			"device_class": "enum", "options": []string{"idle", "ringing", "connected"}}},
		entity{"sensor", "registration", map[string]any{"name": "Registration", "entity_category": "diagnostic",
			"state_topic": t + "/state/registration"}})
	if c.opts.Info.Contact {
		es = append(es, entity{"binary_sensor", "door1", map[string]any{"name": "Door", "device_class": "door",
			"state_topic": t + "/state/door", "payload_on": "open", "payload_off": "closed"}})
	}
	es = append(es, entity{"switch", "dnd", map[string]any{"name": "Do not disturb", "icon": "mdi:bell-off",
		"command_topic": t + "/command/" + c.cfg.HomeAssistant.User + "/dnd", "state_topic": t + "/state/dnd",
		"payload_on": "ON", "payload_off": "OFF"}})
	if c.opts.Info.Tamper {
		es = append(es, entity{"binary_sensor", "tamper", map[string]any{"name": "Tamper", "device_class": "tamper",
			"state_topic": t + "/state/tamper", "payload_on": "on", "payload_off": "off"}})
	}
	if c.opts.Info.SelfTest { // on while the last self-test found a fault
		es = append(es, entity{"binary_sensor", "audio", map[string]any{"name": "Speaker and microphone",
			"device_class": "problem", "entity_category": "diagnostic", "state_topic": t + "/selftest",
			"value_template": "{{ 'OFF' if value_json.pass else 'ON' }}", "json_attributes_topic": t + "/selftest"}})
	}
	return es
}

// discovery returns the retained discovery configs, or, with discovery
// off, empty retained payloads that remove them from Home Assistant.
func (c *Client) discovery() []msg {
	node := c.nodeID()
	device := map[string]any{"identifiers": []string{"sipbell_" + node}, "name": c.opts.Info.Name,
		"manufacturer": "sipbell", "model": "sipbell door station", "sw_version": c.opts.Info.Version}
	var out []msg
	for _, e := range c.entities() {
		topic := fmt.Sprintf("%s/%s/%s/%s/config", c.cfg.HomeAssistant.Prefix, e.component, node, e.object)
		if !c.cfg.HomeAssistant.Discovery {
			out = append(out, msg{topic: topic, retained: true})
			continue
		}
		e.fields["unique_id"] = "sipbell_" + node + "_" + e.object
		e.fields["object_id"] = node + "_" + e.object
		e.fields["availability_topic"] = c.availability()
		e.fields["device"] = device
		b, err := json.Marshal(e.fields)
		if err != nil {
			continue // cannot happen: strings, slices and maps only
		}
		out = append(out, msg{topic: topic, payload: b, retained: true})
	}
	return out
}
