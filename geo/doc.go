// Package geo is writ's location and plate analytics: trajectories, stay
// points, frequent places, home and work, area membership and pseudonymous
// device tokens, co-location, "devices seen at several places", plate
// sightings, hotlists and convoys, and GeoJSON (RFC 7946) for every spatial
// result.
//
// The package is pure: it takes slices of Fix (or writ.Ping and
// writ.PlateRead, converted with Fixes and Reads) that a store read under a
// grant, and returns values. It never reads storage, so the scope gate stays
// the only way in. Distances are metres on a local equirectangular
// projection, which is within 0.1% of the great-circle distance below a few
// kilometres, the scale every threshold here works at.
package geo
