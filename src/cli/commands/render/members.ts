import type { CliIO } from '../../../shared/io.js';
import { formatCount } from '../../../shared/format.js';
import { UTC_VIEW, type TimeView } from '../../../shared/zonedTime.js';
import { keyValues } from '../../output.js';
import { listingTable, type ListColumn, type Listing } from '../../listing.js';
import type { MemberSummary } from '../../../lookup/members.js';
import type { MemberCard, MemberMatches } from '../../../lookup/outcomes.js';
import { renderRedemptionTable } from './redemptions.js';

/**
 * Too narrow for all of them: persona goes first, then the member id (36 characters; `members show`
 * takes the email or tel as well, and --json has the id), then tier. Email, tel, balance and
 * active always show.
 */
const MATCH_COLUMNS: Array<ListColumn<MemberSummary>> = [
  { head: 'member id', drop: 2, cell: (m) => m.id },
  { head: 'email', cell: (m) => m.email },
  { head: 'tel', cell: (m) => m.tel },
  { head: 'tier', drop: 3, cell: (m) => m.tier },
  { head: 'persona', drop: 1, cell: (m) => m.persona },
  { head: 'balance', cell: (m, f) => f.count(m.balance) },
  { head: 'active', cell: (m) => (m.active ? 'yes' : 'no') },
];

function moreMatches({ fragment, members }: MemberMatches): string {
  return `First ${formatCount(members.length)} matches of ${JSON.stringify(fragment)}; there are more: type more of it or raise --limit.`;
}

/** `members find` as rows (--output csv). */
export function memberMatchListing(result: MemberMatches): Listing<MemberSummary> {
  return { columns: MATCH_COLUMNS, rows: result.members, more: result.truncated ? moreMatches(result) : null };
}

export function renderMemberMatches(io: CliIO, result: MemberMatches): string {
  const { fragment, members, truncated } = result;
  if (members.length === 0) return `No member matches ${JSON.stringify(fragment)} (email or tel).`;
  const lines = [listingTable(io, memberMatchListing(result))];
  lines.push(truncated ? moreMatches(result) : `${formatCount(members.length)} member(s) match ${JSON.stringify(fragment)}.`);
  return lines.join('\n');
}

export function renderMember(io: CliIO, { member, redemptions, truncated }: MemberCard, view: TimeView = UTC_VIEW): string {
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
      [view.head('member since'), view.time(member.created_at)],
    ]),
  ];
  if (redemptions.length === 0) {
    lines.push('No redemptions yet.');
  } else {
    lines.push(truncated ? `Latest ${formatCount(redemptions.length)} redemptions (there are more: redemptions list --user …):` : 'Redemptions, newest first:');
    lines.push(renderRedemptionTable(io, redemptions, view));
  }
  return lines.join('\n');
}
