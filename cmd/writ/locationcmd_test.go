package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLocationCommands runs the location and plates commands against a demo
// case served over the API.
func TestLocationCommands(t *testing.T) {
	c := newCLI(t)
	st, _, _ := servedDemo(t, c, "60")
	loc := []string{"--case", itoa(st.CaseID), "--authority", itoa(st.Auth["location"]), "--purpose", "follow the ring's devices"}
	plates := []string{"--case", itoa(st.CaseID), "--authority", itoa(st.Auth["plates"]), "--purpose", "follow the ring's vehicles"}

	code, out, errs := c.run("", append([]string{"location", "trajectory"}, loc...)...)
	if code != 0 || !strings.Contains(out, "DEVICE") || strings.Count(out, "\n") < 3 {
		t.Fatalf("location trajectory = exit %d\n%s\n%s", code, out, errs)
	}
	for _, cmd := range [][]string{{"location", "trajectory"}, {"location", "stays"}, {"location", "homework"}, {"plates", "sightings"}} {
		code, out, errs := c.run("", append(append(cmd, "--geojson"), append(loc, "--authority", itoa(pick(cmd[0], st)))...)...)
		var fc struct {
			Type     string            `json:"type"`
			Features []json.RawMessage `json:"features"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &fc) != nil || fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
			t.Errorf("%s --geojson = exit %d, %.200q (%s); want a non-empty FeatureCollection", strings.Join(cmd, " "), code, out, errs)
		}
	}
	// Co-location of the seller's phone away from its home and workplace.
	code, out, errs = c.run("", append([]string{"location", "colocation", "--selector", "device:" + st.Device, "--exclude", "homework", "--tz", "Europe/Brussels"}, loc...)...)
	if code != 0 || !strings.Contains(out, "left out: the target's home at ") || !strings.Contains(out, "DEVICE") {
		t.Errorf("location colocation --exclude homework = exit %d\n%s\n%s; want the home left out, then the devices met", code, out, errs)
	}
	if code, _, errs := c.run("", append([]string{"location", "colocation", "--selector", "device:" + st.Device, "--exclude", "gym"}, loc...)...); code == 0 || !strings.Contains(errs, "exclude=homework") {
		t.Errorf("location colocation --exclude gym = exit %d, %q; want a usage error naming exclude=homework", code, errs)
	}
	if code, out, errs := c.run("", append([]string{"plates", "sightings"}, plates...)...); code != 0 || !strings.Contains(out, "PLATE") {
		t.Errorf("plates sightings = exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := c.run("", append([]string{"plates", "hotlist", "--plate", "NOSUCH1"}, plates...)...); code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("plates hotlist of an unseen plate = exit %d\n%s\n%s; want the header only", code, out, errs)
	}
	// Step 1 of a geofence under the search warrant: refused, naming the rule.
	code, _, errs = c.run("", append([]string{"location", "geofence", "step1"}, loc...)...)
	if code != 1 || !strings.Contains(errs, "denied (geofence_step)") {
		t.Errorf("geofence step1 under a search warrant = exit %d, %q; want denied (geofence_step)", code, errs)
	}
	// Plates under the location warrant: refused by the gate.
	code, _, errs = c.run("", append([]string{"plates", "sightings"}, loc...)...)
	if code != 1 || !strings.Contains(errs, "denied (category_covered)") {
		t.Errorf("plates under the location warrant = exit %d, %q; want denied (category_covered)", code, errs)
	}
}

func pick(group string, st demoState) int64 {
	if group == "plates" {
		return st.Auth["plates"]
	}
	return st.Auth["location"]
}
