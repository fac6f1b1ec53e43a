/**
 * Sibling rule after MITRE ATT&CK AN0144 (its Windows analytic, here on Linux flows): far more bytes out than in,
 * outbound:inbound at least 4:1 in MITRE's related analytics, once enough has left to matter. Off by default.
 */
import type { RuleInput, RuleOutcome } from '../finding.ts';
import { noveltyPart, total } from '../score.ts';
import { bytes, connectionsPhrase, duration, num, subject } from '../text.ts';

const BASE = 50;
const MAX_RATIO_PART = 20;

/** Judges one window with the byte-ratio rule. */
export function judgeByteRatio(input: RuleInput): RuleOutcome {
  const { facts: f, thresholds: t } = input;
  const sent = f.bytesSent;
  const received = f.bytesReceived;
  if (sent === undefined || received === undefined) return { skipped: 'blind_no_bytes' };
  if (sent < t.min_bytes_sent) return { skipped: 'below_min_bytes_sent' };
  const ratio = received > 0 ? sent / received : Number.POSITIVE_INFINITY;
  if (ratio < t.min_sent_to_received_ratio) return { skipped: 'below_sent_to_received_ratio' };
  const scoreParts = {
    base: BASE,
    ratio: Math.min(MAX_RATIO_PART, 10 * Math.log2(ratio / t.min_sent_to_received_ratio)),
    novelty: noveltyPart(input.qualification),
  };
  const ratioText = received > 0 ? `${num(ratio, 1)}:1` : 'with nothing received';
  return {
    finding: {
      analytic: 'AN0144',
      rule: 'an0144_byte_ratio',
      finding: 'byte_ratio',
      score: total(scoreParts),
      scoreParts,
      fired: ['min_bytes_sent', 'min_sent_to_received_ratio'],
      thresholds: {
        min_bytes_sent: t.min_bytes_sent,
        min_sent_to_received_ratio: t.min_sent_to_received_ratio,
      },
      evidence: received > 0 ? { sent_to_received_ratio: ratio } : {},
      reason: `AN0144 outbound-heavy: ${subject(input)} sent ${bytes(sent)} (>= ${bytes(t.min_bytes_sent)}) and received ${bytes(received)} over ${connectionsPhrase(f.counted, f.scope)} in ${duration(f.windowMs)}, sent:received ${ratioText} (>= ${num(t.min_sent_to_received_ratio, 1)}:1).`,
    },
  };
}
