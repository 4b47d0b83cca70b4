package station

import (
	"context"
	"time"

	stationhttp "github.com/anjungan/anjungan/station/http"
	"github.com/anjungan/anjungan/station/voice"
)

// mountVoice gives the kiosk page its spoken guidance, when the volume is
// above 0 and the machine has espeak-ng and opusenc; else the page stays
// silent and hides its sound buttons. The first screen's phrases are made
// in the background at start-up, every other one on its first request
// (voice.Speaker keeps them in memory).
func (m *Main) mountVoice() {
	if m.VoiceVolume <= 0 {
		m.log.Info().Msg("voice off: -voice-volume 0")
		return
	}
	if err := voice.Available(); err != nil {
		m.log.Warn().Err(err).Msg("voice off: install espeak-ng and opus-tools for the kiosk's spoken guidance")
		return
	}
	texts, err := stationhttp.KioskTexts()
	if err != nil {
		m.log.Error().Err(err).Msg("voice off: the kiosk's texts")
		return
	}
	sp := voice.New(texts, voice.Exec)
	m.speaker = sp
	m.kioskS.MountVoice(sp, m.VoiceVolume)
	ctx, cancel := context.WithCancel(context.Background())
	m.stopVoice = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		w, err := sp.Warm(ctx, m.Now, stationhttp.FirstScreenPhrases...)
		if err != nil {
			if ctx.Err() == nil {
				m.log.Error().Err(err).Msg("voice: making the phrases")
			}
			return
		}
		ev := m.log.Info().Int("phrases", w.Phrases).Dur("took", w.Took.Round(time.Millisecond))
		if n := len(w.Sizes); n > 0 {
			ev = ev.Int("bytes_min", w.Sizes[0]).Int("bytes_median", w.Sizes[n/2]).Int("bytes_max", w.Sizes[n-1])
		}
		ev.Msg("voice: the first screen's phrases ready; the others are made on first request")
	}()
}

// Speaker is the kiosk's voice, nil when it is off: what it made, and
// when, is what the start-up costs.
func (m *Main) Speaker() *voice.Speaker { return m.speaker }
