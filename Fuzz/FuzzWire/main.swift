import FuzzDriver

// The SMBWire decoders every byte from the network reaches, one target each (scripts/fuzz).
FuzzDriver.main(WireTargets.all)
