import type { CliIO } from '../../../shared/io.js';
import { formatCount, formatTime } from '../../../shared/format.js';
import { keyValues, table, type ColumnSpec } from '../../output.js';
import type { MemberCard, MemberMatches } from '../../../lookup/outcomes.js';
import { renderRedemptionTable } from './redemptions.js';

/**
 * Too narrow for all of them: persona goes first, then the member id (36 characters; `members show`
 * takes the email or tel as well, and --json has the id), then tier. Email, tel, balance and
 * active always show.
 */
const MATCH_COLUMNS: ColumnSpec[] = [
  { head: 'member id', drop: 2 },
  { head: 'email' },
  { head: 'tel' },
  { head: 'tier', drop: 3 },
  { head: 'persona', drop: 1 },
  { head: 'balance' },
  { head: 'active' },
];

export function renderMemberMatches(io: CliIO, { fragment, members, truncated }: MemberMatches): string {
  if (members.length === 0) return `No member matches ${JSON.stringify(fragment)} (email or tel).`;
  const lines = [
    table(
      io,
      MATCH_COLUMNS,
      members.map((m) => [m.id, m.email, m.tel, m.tier, m.persona, formatCount(m.balance), m.active ? 'yes' : 'no']),
    ),
  ];
  lines.push(
    truncated
      ? `First ${formatCount(members.length)} matches of ${JSON.stringify(fragment)}; there are more: type more of it or raise --limit.`
      : `${formatCount(members.length)} member(s) match ${JSON.stringify(fragment)}.`,
  );
  return lines.join('\n');
}

export function renderMember(io: CliIO, { member, redemptions, truncated }: MemberCard): string {
  const lines = [
    keyValues(io, [
      ['member id', member.id],
      ['email', member.email],
      ['tel', member.tel],
      ['type', member.user_type],
      ['tier', member.tier ?? '(none)'],
      ['persona', member.persona ?? '(none)'],
      ['tags', member.tags.length > 0 ? member.tags.join(', ') : '(none)'],
      ['birth date', member.birth_date],
      ['active', member.active ? 'yes' : 'no (redemptions refused: USER_INACTIVE)'],
      ['points balance', formatCount(member.balance)],
      ['member since', formatTime(member.created_at)],
    ]),
  ];
  if (redemptions.length === 0) {
    lines.push('No redemptions yet.');
  } else {
    lines.push(truncated ? `Latest ${formatCount(redemptions.length)} redemptions (there are more: redemptions list --user …):` : 'Redemptions, newest first:');
    lines.push(renderRedemptionTable(io, redemptions));
  }
  return lines.join('\n');
}
