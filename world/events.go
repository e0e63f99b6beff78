package world

import (
	"math"
	"strconv"
)

// eventGen streams one person-day at a time into the event files: pings per
// device, plate reads per car trip, contacts per caller. Nothing but the
// current person's day is held in memory.
type eventGen struct {
	w                       *world
	pings, contacts, plates *outFile
	it                      itinerary
	buf                     []byte
	stamp                   dayStamp
	day                     int
	dayStart                int64
	calls                   []call
}

// Event file headers; the mappings name these columns.
const (
	pingsHeader    = "device,at,lat,lon,accuracy_m\n"
	contactsHeader = "caller,callee,started_at,duration_s,type,caller_imei\n"
	platesHeader   = "plate,camera,at,lat,lon\n"
)

func (g *eventGen) startDay(day int) {
	g.day, g.dayStart = day, g.w.dayStart(day)
	g.stamp = newDayStamp(g.dayStart)
}

// person writes one person's events of the current day.
func (g *eventGen) person(pi int32) error {
	w := g.w
	p := &w.persons[pi]
	var devs [8]int32
	nd := 0
	if p.mobile >= 0 && w.phones[p.mobile].carrier(g.day) == pi {
		devs[nd], nd = w.phones[p.mobile].device, nd+1
	}
	if p.work >= 0 {
		devs[nd], nd = w.phones[p.work].device, nd+1
	}
	for b := p.burner; b >= 0 && nd < len(devs); b = w.phones[b].next {
		ph := &w.phones[b]
		if (ph.to == 0 || ph.to > g.dayStart) && ph.from < g.dayStart+daySec {
			devs[nd], nd = ph.device, nd+1
		}
	}
	if nd > 0 || p.vehicle >= 0 {
		w.plan(&g.it, pi, g.day)
		for _, d := range devs[:nd] {
			if err := g.devicePings(d); err != nil {
				return err
			}
		}
		if p.vehicle >= 0 {
			if err := g.plateReads(); err != nil {
				return err
			}
		}
	}
	return g.personCalls(pi)
}

// devicePings writes a device's fixes along the current itinerary.
func (g *eventGen) devicePings(di int32) error {
	w := g.w
	dev := &w.devices[di]
	ph := &w.phones[dev.phone]
	r := newRNG(w.seed, streamDevice, uint64(di), uint64(g.day))
	start, end := int64(0), int64(daySec)
	if ph.from > g.dayStart {
		start = ph.from - g.dayStart
	}
	if ph.to != 0 && ph.to < g.dayStart+daySec {
		end = ph.to - g.dayStart
	}
	var offTo, gapFrom, gapTo int64
	if dev.nightOff {
		offTo = int64(4*3600 + r.intn(3600))
	}
	if r.chance(0.08) { // no signal, or a flat battery
		gapFrom = int64(r.intn(daySec))
		gapTo = gapFrom + int64(r.rangeInt(3600, 4*3600))
	}
	still := float64(dev.interval)
	moving := math.Max(15, still/4)
	stays, legs := g.it.stays, g.it.legs
	b := g.buf[:0]
	var rows int64
	t := start + int64(r.intn(int(dev.interval)))
	si := 0
	for t < end {
		if t < offTo {
			t = offTo + int64(r.intn(int(dev.interval)))
			continue
		}
		if t >= gapFrom && t < gapTo {
			t = gapTo
			continue
		}
		for si+1 < len(stays) && int32(t) >= stays[si+1].from {
			si++
		}
		var pos point
		step := still
		if int32(t) < stays[si].to || si+1 == len(stays) {
			pos = stays[si].pt
		} else {
			l := &legs[si]
			pos = l.rt.at(float64(int32(t)-l.depart) * l.speed)
			step = moving
		}
		acc := r.between(10, 30)
		switch x := r.float(); {
		case x < 0.03: // a cell-tower fix
			acc = r.between(150, 1200)
		case x < 0.10: // Wi-Fi
			acc = r.between(30, 80)
		}
		dx, dy := r.norm2()
		pos = pos.offset(dx*acc/1.5, dy*acc/1.5).clampTo(LatMin, LatMax, LonMin, LonMax)
		b = strconv.AppendUint(b, dev.imei, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, g.dayStart+t, 10)
		b = append(b, ',')
		b = appendFixed6(b, pos.lat)
		b = append(b, ',')
		b = appendFixed6(b, pos.lon)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(acc+0.5), 10)
		b = append(b, '\n')
		rows++
		t += int64(step * r.between(0.85, 1.15))
	}
	g.buf = b
	g.pings.rows += rows
	_, err := g.pings.Write(b)
	return err
}

// ocrConfusions are characters plate readers mistake for one another.
var ocrConfusions = map[byte]byte{'0': 'O', 'O': '0', '8': 'B', 'B': '8', '1': 'I', 'I': '1', '5': 'S', 'S': '5', '2': 'Z', 'Z': '2', 'D': '0', 'G': '6', '6': 'G'}

// plateReads writes the camera reads of the day's car legs.
func (g *eventGen) plateReads() error {
	w := g.w
	b := g.buf[:0]
	for li := range g.it.legs {
		l := &g.it.legs[li]
		if !l.car || l.vehicle < 0 {
			continue
		}
		v := &w.vehicles[l.vehicle]
		r := newRNG(w.seed, streamCamera, uint64(l.vehicle), uint64(g.day)<<8|uint64(li))
		l.rt.crossings(func(col, row int, s float64) {
			ci := w.camAt[row*gridCols+col]
			if ci < 0 {
				return
			}
			t := int64(l.depart) + int64(s/l.speed)
			if t >= daySec || (!l.convoy && r.chance(0.06)) { // missed: dirty plate, bad angle
				return
			}
			cam := &w.cameras[ci]
			start := len(b)
			b = append(b, v.raw...)
			if !l.convoy && r.chance(0.01) { // a misread character
				k := start + r.intn(len(v.raw))
				if c, ok := ocrConfusions[b[k]]; ok {
					b[k] = c
				}
			}
			b = append(b, ',')
			b = append(b, cam.id...)
			b = append(b, ',')
			b = g.stamp.appendRFC3339(b, g.dayStart+t)
			b = append(b, ',')
			b = appendFixed6(b, cam.pt.lat)
			b = append(b, ',')
			b = appendFixed6(b, cam.pt.lon)
			b = append(b, '\n')
			g.plates.rows++
		})
	}
	g.buf = b
	_, err := g.plates.Write(b)
	return err
}
