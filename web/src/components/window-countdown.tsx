/**
 * A contact's 24-hour window, live: "closes in 03:12:45" while open, "closed since …" after.
 * It counts from the server's `remaining_seconds` and the time the answer arrived, not from the
 * browser's clock, so a computer whose clock is off still shows the server's truth. Screen
 * readers hear it only when it matters (an hour left, ten minutes, one, closed), never every
 * second: the visible text is a timer, the announcement a separate polite status.
 */
import { Badge, Group, Text, VisuallyHidden } from '@mantine/core';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useFormat, useT } from '../i18n/i18n';
import { conversationStrings } from './conversation-strings';
import { useSecondTicks } from './use-ticker';

export interface WindowLike {
  open: boolean;
  expires_at: string | null;
  remaining_seconds: number;
}

/** Announced thresholds, in seconds left, and what is said when each is crossed. */
const THRESHOLDS = [3600, 600, 60] as const;
const SPOKEN = ['windowOneHourLeft', 'windowTenMinutesLeft', 'windowOneMinuteLeft'] as const;

export function formatRemaining(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(h)}:${pad(m)}:${pad(s % 60)}`;
}

/** Seconds left now, counted down from the answer's `remaining_seconds`. */
export function useRemainingSeconds(window: WindowLike): number {
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new answer restarts the count
  const since = useMemo(() => performance.now(), [window.remaining_seconds, window.expires_at, window.open]);
  useSecondTicks(window.open);
  if (!window.open) return 0;
  return Math.max(0, window.remaining_seconds - (performance.now() - since) / 1000);
}

export function WindowCountdown({
  window,
  announce = false,
  compact = false,
  onClosed,
}: {
  window: WindowLike;
  /** Give the screen-reader announcements (one countdown per page should). */
  announce?: boolean;
  compact?: boolean;
  /** Called once when the count reaches zero while shown. */
  onClosed?: () => void;
}) {
  const t = useT(conversationStrings);
  const f = useFormat();
  const left = useRemainingSeconds(window);
  const open = window.open && left > 0;
  const [said, setSaid] = useState('');
  const lastBand = useRef<number | undefined>(undefined);
  const closedCalled = useRef(false);

  const band = open ? THRESHOLDS.filter((s) => left <= s).length : THRESHOLDS.length + 1;
  useEffect(() => {
    const previous = lastBand.current;
    lastBand.current = band;
    // The first value is shown, not announced: only changes are news.
    if (previous === undefined || band <= previous) return;
    if (band > THRESHOLDS.length) setSaid(t('windowClosedNow'));
    else setSaid(t(SPOKEN[band - 1]!));
  }, [band, t]);
  useEffect(() => {
    if (window.open && !open && !closedCalled.current) {
      closedCalled.current = true;
      onClosed?.();
    }
    if (open) closedCalled.current = false;
  }, [open, window.open, onClosed]);

  // Shades with 4.5:1 against the badge's text (the yellow one takes dark text).
  const color = !open ? 'gray.7' : left <= 600 ? 'red.9' : left <= 3600 ? 'yellow.5' : 'teal.9';
  const text = open
    ? t('windowClosesIn', { time: formatRemaining(left) })
    : window.expires_at
      ? t('windowClosedSince', { when: f.dateTime(window.expires_at) })
      : t('windowNever');
  return (
    <Group gap={6} wrap="nowrap" component="span">
      <Badge color={color} autoContrast size={compact ? 'sm' : 'md'}>
        {open ? t('windowOpen') : t('windowClosed')}
      </Badge>
      <Text
        span
        size={compact ? 'xs' : 'sm'}
        role="timer"
        aria-live="off"
        ff={open ? 'monospace' : undefined}
      >
        {text}
      </Text>
      {announce && (
        <VisuallyHidden role="status" aria-live="polite">
          {said}
        </VisuallyHidden>
      )}
    </Group>
  );
}
