#!/usr/bin/env bash
# Makes the bundled speech sample with espeak-ng (Debian: apt-get install espeak-ng sox):
# demo/audio/speech.wav, mono 16-bit PCM at 24 kHz, with pauses so silence shows too.
set -euo pipefail
out=${1:-demo/audio/speech.wav}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -s 150 -w "$tmp/speech.wav" \
  "Hello! I am the lip sync demo avatar. [[_]] Every word you hear moves my mouth, forty milliseconds at a time. Open wide, ooh, round, and closed again. Thank you for watching."
sox "$tmp/speech.wav" -r 24000 -c 1 -b 16 "$tmp/resampled.wav" pad 0.5 1
cp "$tmp/resampled.wav" "$out"
soxi "$out" | grep -E 'Sample Rate|Duration|Channels'
