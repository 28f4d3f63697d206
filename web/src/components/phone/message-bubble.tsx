/**
 * One WhatsApp message as its apps draw it: the bubble (header text or a media placeholder with
 * the file's name, the body with WhatsApp's formatting, the footer in grey, the time and, on
 * what this phone sent, the ticks) and the template's buttons under it. More than three buttons
 * show as two and "See all options", as WhatsApp does; the list opens in place.
 *
 * Buttons are real buttons only when `onButton` is given (the sandbox phone taps them); in a
 * preview they are drawn, not focusable, and their action is said to screen readers.
 */
import { useState } from 'react';
import { useLanguage, useT } from '../../i18n/i18n';
import { FormattedText } from './formatted-text';
import { Icon, type IconName, Ticks } from './icons';
import type { BubbleButton, BubbleHeader, RenderedMessage } from './message';
import { phoneStrings } from './strings';
import './phone.css';

export interface MessageBubbleProps extends RenderedMessage {
  /** Makes the buttons tappable; called with the button's index in `buttons`. */
  onButton?: (index: number, button: BubbleButton) => void;
  /** Greys the tappable buttons out (e.g. while a tap is being sent). */
  buttonsDisabled?: boolean;
}

const BUTTON_ICON: Record<string, IconName> = {
  URL: 'link',
  PHONE_NUMBER: 'phone',
  COPY_CODE: 'copy',
  OTP: 'copy',
  QUICK_REPLY: 'reply',
};

/** WhatsApp shows at most three buttons under a message; beyond that, two and "See all options". */
const SHOWN_MAX = 3;

function Header({ header }: { header: BubbleHeader }) {
  const t = useT(phoneStrings);
  if (header.kind === 'text') return <div className="rc-header-text">{header.text}</div>;
  const label = t(header.kind);
  if (header.kind === 'document' || header.kind === 'location') {
    return (
      <div className="rc-media rc-media--row">
        <Icon name={header.kind} size={28} />
        <div>
          <div className="rc-media-name">{header.name ?? label}</div>
          {header.name && <div className="rc-media-kind">{label}</div>}
        </div>
      </div>
    );
  }
  return (
    <div className="rc-media" role="img" aria-label={header.name ? `${label}: ${header.name}` : label}>
      <Icon name={header.kind} size={40} />
      <span className="rc-media-name" aria-hidden="true">
        {header.name ?? label}
      </span>
    </div>
  );
}

function formatTime(time: RenderedMessage['time'], locale: string): string {
  const d = time instanceof Date ? time : new Date(time);
  if (Number.isNaN(d.getTime())) return String(time);
  return d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

export function MessageBubble(props: MessageBubbleProps) {
  const t = useT(phoneStrings);
  const { language } = useLanguage();
  const [expanded, setExpanded] = useState(false);
  const { header, body, footer, buttons = [], direction, ticks, onButton, buttonsDisabled } = props;
  const time = formatTime(props.time, language);
  const folded = buttons.length > SHOWN_MAX && !expanded;
  const shown = folded ? buttons.slice(0, SHOWN_MAX - 1) : buttons;
  const tickLabel =
    ticks && t(ticks === 'read' ? 'ticksRead' : ticks === 'delivered' ? 'ticksDelivered' : 'ticksSent');

  return (
    <div className={`rc-msg rc-msg--${direction}`}>
      <div className="rc-bubble">
        {header && <Header header={header} />}
        <div className="rc-body">
          <FormattedText text={body} />
        </div>
        {footer && <div className="rc-footer">{footer}</div>}
        <div className="rc-meta">
          <span className="rc-visually-hidden">{t(direction === 'in' ? 'received' : 'sent', { time })}</span>
          <span aria-hidden="true">{time}</span>
          {direction === 'out' && ticks && (
            <span role="img" aria-label={tickLabel}>
              <Ticks double={ticks !== 'sent'} read={ticks === 'read'} />
            </span>
          )}
        </div>
      </div>
      {buttons.length > 0 && (
        <ul className="rc-buttons" aria-label={t('buttons')}>
          {shown.map((b, i) => (
            // Buttons may share a label; their position is what tells them apart.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <li key={i}>
              <ButtonFace button={b} onTap={onButton && (() => onButton(i, b))} disabled={buttonsDisabled} />
            </li>
          ))}
          {buttons.length > SHOWN_MAX && (
            <li>
              <button
                type="button"
                className="rc-button rc-button--tap"
                onClick={() => setExpanded(!expanded)}
                aria-expanded={expanded}
              >
                <Icon name="list" />
                {t(expanded ? 'showFewer' : 'seeAll')}
              </button>
            </li>
          )}
        </ul>
      )}
    </div>
  );
}

function ButtonFace({
  button,
  onTap,
  disabled,
}: {
  button: BubbleButton;
  onTap?: () => void;
  disabled?: boolean;
}) {
  const t = useT(phoneStrings);
  const icon = BUTTON_ICON[button.type] ?? 'reply';
  const action = button.url
    ? t('opensLink', { url: button.url })
    : button.phone
      ? t('calls', { phone: button.phone })
      : button.type === 'COPY_CODE'
        ? t('copiesCode')
        : undefined;
  const face = (
    <>
      <Icon name={icon} />
      <span>{button.text}</span>
      {action && <span className="rc-visually-hidden">({action})</span>}
    </>
  );
  if (!onTap) return <div className="rc-button">{face}</div>;
  return (
    <button type="button" className="rc-button rc-button--tap" onClick={onTap} disabled={disabled}>
      {face}
    </button>
  );
}
