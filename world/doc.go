// Package world generates a deterministic synthetic world of the Brussels
// region, with the ground truth behind it: persons in households and
// communities, record sources about them in five formats with realistic
// errors, device pings along daily routines, call and message metadata over
// a social graph, plate reads along car trips, and a planted
// counterfeit-document ring that meets, calls, switches burners and drives
// in convoy.
//
// Generate writes it all to a directory, streaming the events a person-day
// at a time so memory grows with the population only; LoadTruth reads the
// ground truth back. docs/world.md describes the files.
//
// The package is pure: it imports no storage.
package world
