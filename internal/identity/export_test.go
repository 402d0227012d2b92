package identity

// Blank is blank, for the properties of TrimName in name_test.go.
var Blank = blank
