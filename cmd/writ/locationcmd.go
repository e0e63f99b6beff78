package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/writhq/writ/api"
)

// analysisLeaf is a client command that runs one location or plate
// analysis under an authority: the read flags of 'writ read', --geojson,
// and the analysis' own flags (extra, each "name=help").
func analysisLeaf(name, summary string, extra []string,
	show func(ctx context.Context, c *clientCtx, caseID int64, q api.ReadQuery, a api.Analytics, args []string) error) *command {
	return clientLeaf(name, summary,
		"--case ID --authority ID --purpose TEXT [--from T --to T] [--selector kind:value ...] [--area 'lat,lon;...'] [--geojson]",
		func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
			var rf readFlags
			rf.register(fs, "authority the analysis runs under", "selector kind:value (repeatable; default: all the authority names)", " (default: the authority's)", true)
			geojson := fs.Bool("geojson", false, "print the result as a GeoJSON FeatureCollection")
			vals := map[string]*multi{}
			for _, x := range extra {
				n, help, _ := strings.Cut(x, "=")
				m := &multi{}
				vals[n] = m
				fs.Var(m, n, help)
			}
			return func(ctx context.Context, c *clientCtx, args []string) error {
				caseID, q, err := rf.query(false)
				if err != nil {
					return err
				}
				a := api.Analytics{}
				for n, m := range vals {
					if len(*m) > 0 {
						a[n] = append([]string(nil), (*m)...)
					}
				}
				if *geojson {
					raw, err := c.AnalyseGeoJSON(ctx, caseID, analysisPath(name), q, a)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintln(c.e.stdout, string(raw))
					return err
				}
				return show(ctx, c, caseID, q, a, args)
			}
		})
}

// analysisPath maps a command name to its endpoint below /api/cases/{id}/.
func analysisPath(name string) string {
	switch name {
	case "trajectory", "stays", "homework", "colocation":
		return "location/" + name
	case "step1", "step2", "step3":
		return "geofence/" + name
	case "hotlist", "sightings", "convoy":
		return "plates/" + name
	}
	return name
}

func analysed(c *clientCtx, g api.GrantInfo) {
	fmt.Fprintf(c.e.stderr, "granted under authority %d (%s), %s–%s\n", g.AuthorityID, g.AuthorityKind, fmtTime(g.From), fmtTime(g.To))
}

func locationCmd() *command {
	trajectory := analysisLeaf("trajectory", "path of named devices in a window, gaps marked, simplified",
		[]string{"gap=silence that splits the path (e.g. 30m)", "tolerance=simplification tolerance in metres"},
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, a api.Analytics, _ []string) error {
			res, err := c.Trajectory(ctx, id, q, a)
			if err != nil || c.json {
				return orJSON(c.e, res, err)
			}
			analysed(c, res.Grant)
			table(c.e.stdout, "DEVICE\tSEGMENT\tAT\tLAT\tLON", func(w io.Writer) {
				for _, d := range res.Devices {
					for i, seg := range d.Segments {
						for _, p := range seg {
							fmt.Fprintf(w, "%s\t%d\t%s\t%.5f\t%.5f\n", d.Device, i, fmtTime(p.At), p.Lat, p.Lon)
						}
					}
					for _, g := range d.Gaps {
						fmt.Fprintf(w, "%s\tgap\t%s – %s\t\t\n", d.Device, fmtTime(g.From), fmtTime(g.To))
					}
				}
			})
			return nil
		})
	stays := analysisLeaf("stays", "stay points and frequent places of named devices",
		[]string{"dist=stay radius in metres (default 100)", "min=shortest stay (default 5m)", "gap=gap that breaks a stay (default 15m)", "eps=place radius in metres (default 50)"},
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, a api.Analytics, _ []string) error {
			res, err := c.Stays(ctx, id, q, a)
			if err != nil || c.json {
				return orJSON(c.e, res, err)
			}
			analysed(c, res.Grant)
			table(c.e.stdout, "DEVICE\tPLACE\tLAT\tLON\tSTAYS\tDWELL\tDAYS", func(w io.Writer) {
				for _, d := range res.Devices {
					for _, p := range d.Places {
						fmt.Fprintf(w, "%s\t%d\t%.5f\t%.5f\t%d\t%ds\t%d\n", d.Device, p.ID, p.Lat, p.Lon, p.Stays, p.DwellS, p.Days)
					}
				}
			})
			return nil
		})
	homework := analysisLeaf("homework", "home and work of named devices, with confidence",
		[]string{"tz=time zone of the routines (default UTC)", "gap=gap that breaks a stay (default 3h)", "dist=stay radius in metres", "min=shortest stay", "eps=place radius in metres"},
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, a api.Analytics, _ []string) error {
			res, err := c.HomeWork(ctx, id, q, a)
			if err != nil || c.json {
				return orJSON(c.e, res, err)
			}
			analysed(c, res.Grant)
			table(c.e.stdout, "DEVICE\tANCHOR\tLAT\tLON\tHOURS\tDAYS\tCONFIDENCE", func(w io.Writer) {
				for _, d := range res.Devices {
					for _, x := range []struct {
						name string
						a    *api.Anchor
					}{{"home", d.Home}, {"work", d.Work}} {
						if x.a != nil {
							fmt.Fprintf(w, "%s\t%s\t%.5f\t%.5f\t%.1f\t%d\t%.2f\n", d.Device, x.name, x.a.Lat, x.a.Lon, x.a.Hours, x.a.Days, x.a.Confidence)
						} else {
							fmt.Fprintf(w, "%s\t%s\t-\t-\t-\t-\t-\n", d.Device, x.name)
						}
					}
				}
			})
			return nil
		})
	coloc := analysisLeaf("colocation", "devices met with a target device (--selector device:ID)",
		[]string{"candidates=geofence_step1 authority to read candidates under (returned as tokens)", "radius=encounter distance in metres", "within=encounter time (e.g. 10m)",
			"exclude=homework: leave out the target's fixes within 150 m of its inferred home and workplace", "tz=time zone of the target's routine, for exclude=homework (default UTC)",
			"gap, dist, min, eps: tune exclude=homework's home and work inference, as for homework"},
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, a api.Analytics, _ []string) error {
			res, err := c.CoLocation(ctx, id, q, a)
			if err != nil || c.json {
				return orJSON(c.e, res, err)
			}
			analysed(c, res.Grant)
			if res.Exclude == "homework" && len(res.Excluded) == 0 {
				fmt.Fprintln(c.e.stdout, "left out: nothing (no home or workplace could be inferred from the target's fixes)")
			}
			for _, x := range res.Excluded {
				fmt.Fprintf(c.e.stdout, "left out: the target's %s at %.5f, %.5f (within %.0f m; confidence %.2f)\n", x.Kind, x.Lat, x.Lon, res.ExcludedRadiusM, x.Confidence)
			}
			table(c.e.stdout, "DEVICE\tDAYS\tPLACES\tENCOUNTERS\tSCORE", func(w io.Writer) {
				for _, d := range res.Devices {
					fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%.2f\n", d.Device, d.Days, d.Places, d.Encounters, d.Score)
				}
			})
			return nil
		})
	tokensTable := func(c *clientCtx, tracks []api.DeviceTrajectory) {
		table(c.e.stdout, "TOKEN\tFIXES\tSEGMENTS\tGAPS", func(w io.Writer) {
			for _, t := range tracks {
				fmt.Fprintf(w, "%s\t%d\t%d\t%d\n", t.Device, t.Fixes, len(t.Segments), len(t.Gaps))
			}
		})
	}
	step1 := analysisLeaf("step1", "area search under a geofence_step1 authority: tokens and counts only", nil,
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, _ api.Analytics, _ []string) error {
			res, err := c.GeofenceStep1(ctx, id, q)
			if err != nil || c.json {
				return orJSON(c.e, res, err)
			}
			analysed(c, res.Grant)
			fmt.Fprintf(c.e.stdout, "%d devices, %d fixes in the area\n", res.Devices, res.Fixes)
			table(c.e.stdout, "TOKEN\tFIXES", func(w io.Writer) {
				for _, t := range res.Tokens {
					fmt.Fprintf(w, "%s\t%d\n", t.Token, t.Fixes)
				}
			})
			return nil
		})
	step2 := analysisLeaf("step2", "narrow to the tokens a geofence_step2 authority names (--step1 ID)",
		[]string{"step1=the geofence_step1 authority whose tokens are named", "gap=silence that splits a path", "tolerance=simplification tolerance in metres"},
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, a api.Analytics, _ []string) error {
			var res api.GeofenceStep2Result
			if err := c.Analyse(ctx, id, "geofence/step2", q, a, &res); err != nil || c.json {
				return orJSON(c.e, &res, err)
			}
			analysed(c, res.Grant)
			tokensTable(c, res.Tracks)
			return nil
		})
	step3 := analysisLeaf("step3", "identify the tokens a geofence_step3 authority names (--step1 ID)",
		[]string{"step1=the geofence_step1 authority whose tokens are named"},
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, a api.Analytics, _ []string) error {
			var res api.GeofenceStep3Result
			if err := c.Analyse(ctx, id, "geofence/step3", q, a, &res); err != nil || c.json {
				return orJSON(c.e, &res, err)
			}
			analysed(c, res.Grant)
			table(c.e.stdout, "TOKEN\tDEVICE\tFIXES", func(w io.Writer) {
				for _, t := range res.Identified {
					fmt.Fprintf(w, "%s\t%s\t%d\n", t.Token, t.Device, t.Fixes)
				}
			})
			return nil
		})
	return &command{name: "location", summary: "location analytics under an authority (every read is audited)",
		help: `Trajectories, stays, home/work and co-location of the devices an authority names,
and the three-step geofence process (docs/geo.md): step1 returns pseudonymous tokens
for an area; step2 and step3 each need their own authority naming the tokens.`,
		subs: []*command{trajectory, stays, homework, coloc,
			{name: "geofence", summary: "the three-step geofence process", subs: []*command{step1, step2, step3}}}}
}

func platesCmd() *command {
	sightingsTable := func(c *clientCtx, rows []api.Sighting, note func(i int) string) {
		table(c.e.stdout, "AT\tPLATE\tCAMERA\tLAT\tLON\tNOTE", func(w io.Writer) {
			for i, s := range rows {
				fmt.Fprintf(w, "%s\t%s\t%s\t%.5f\t%.5f\t%s\n", fmtTime(s.At), s.Plate, s.Camera, s.Lat, s.Lon, note(i))
			}
		})
	}
	sightings := analysisLeaf("sightings", "reads of the named plates", nil,
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, _ api.Analytics, _ []string) error {
			res, err := c.Sightings(ctx, id, q)
			if err != nil || c.json {
				return orJSON(c.e, res, err)
			}
			analysed(c, res.Grant)
			sightingsTable(c, res.Sightings, func(int) string { return "" })
			return nil
		})
	hotlist := analysisLeaf("hotlist", "reads matching a hotlist (--plate P ...), only inside the grant's window",
		[]string{"plate=hotlist plate (repeatable)", "fuzzy=true: also match confusable characters"},
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, a api.Analytics, _ []string) error {
			var res api.HotlistResult
			if err := c.Analyse(ctx, id, "plates/hotlist", q, a, &res); err != nil || c.json {
				return orJSON(c.e, &res, err)
			}
			analysed(c, res.Grant)
			rows := make([]api.Sighting, len(res.Hits))
			for i, h := range res.Hits {
				rows[i] = h.Read
			}
			sightingsTable(c, rows, func(i int) string {
				if res.Hits[i].Exact {
					return "hit " + res.Hits[i].Entry
				}
				return "fuzzy hit " + res.Hits[i].Entry
			})
			return nil
		})
	convoy := analysisLeaf("convoy", "plates travelling with a target plate (--selector plate:P)",
		[]string{"candidates=authority to read the other plates under (default: the plates the authority names)", "within=seconds between reads at one camera (e.g. 60s)"},
		func(ctx context.Context, c *clientCtx, id int64, q api.ReadQuery, a api.Analytics, _ []string) error {
			res, err := c.Convoy(ctx, id, q, a)
			if err != nil || c.json {
				return orJSON(c.e, res, err)
			}
			analysed(c, res.Grant)
			table(c.e.stdout, "PLATE\tTRIPS\tCAMERAS\tREADS\tMEAN GAP", func(w io.Writer) {
				for _, cv := range res.Convoys {
					fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%+.0fs\n", cv.Plate, cv.Trips, cv.Cameras, cv.Reads, cv.MeanGap)
				}
			})
			return nil
		})
	return &command{name: "plates", summary: "licence-plate analytics under an authority (every read is audited)",
		subs: []*command{sightings, hotlist, convoy}}
}
