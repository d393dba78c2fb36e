/**
 * The words of the protocol in Russian (the official copy) and English, and the formatting of
 * amounts, shares and times. Amounts stay decimal strings: grouping and the decimal comma are
 * applied to the text, never through floating point.
 */
import type { Question } from '../../shared/voting/index.ts';

/** Languages the protocol renders in. */
export type Lang = 'ru' | 'en';
export const LANGS: readonly Lang[] = ['ru', 'en'];

/** Every phrase the PDF uses. */
export interface Strings {
  title: string;
  kinds: Record<string, string>;
  forms: Record<'in-person-online' | 'absentee' | 'mixed', string>;
  draftMark: string;
  draftNote: string;
  meetingFacts: {
    kind: string;
    form: string;
    startsAt: string;
    timeZone: string;
    openedAt: string;
    closedAt: string;
    notOpened: string;
    place: string;
    placeValue: (platform: string, url: string) => string;
    organizer: string;
    issued: string;
    issuedValue: (at: string, version: number) => string;
    meetingId: string;
  };
  sections: { register: string; participants: string; agenda: string; questions: string; absentee: string; documents: string; integrity: string };
  register: {
    summary: (count: number, total: string, secured: string, voting: string) => string;
    columns: [string, string, string, string, string];
    secured: string;
    hash: string;
  };
  participants: {
    quorumAtOpening: (present: string, total: string, pct: string, reached: boolean, at: string) => string;
    noOpening: string;
    columns: [string, string, string, string, string, string];
    roles: Record<'organizer' | 'voter' | 'representative' | 'observer', string>;
    removed: (at: string, reason: string) => string;
    absenteeOnly: string;
    methods: Record<string, string>;
  };
  agendaItem: (n: number) => string;
  question: {
    heading: (number: string) => string;
    documents: string;
    form: string;
    rule: string;
    mode: string;
    modes: Record<'open' | 'closed', string>;
    options: string;
    window: string;
    absenteeWindow: string;
    quorumAtOpen: string;
    quorumAtClose: string;
    quorumValue: (present: string, total: string, pct: string, needed: string, reached: boolean) => string;
    resultsColumns: [string, string, string];
    notVoted: string;
    invalid: string;
    threshold: string;
    thresholdValue: (share: string, base: 'present' | 'register', of: string, needed: string) => string;
    outcome: string;
    outcomes: Record<'adopted' | 'rejected' | 'no-decision', string>;
    reasons: Record<string, string>;
    winners: string;
    tied: string;
    seats: string;
    seatsFilled: string;
    median: string;
    classConsent: (consented: number, members: number, missing: string) => string;
    rejectReasons: string;
    ballots: string;
    ballotsNotCounted: string;
    ballotColumns: [string, string, string, string, string, string];
    absenteeMark: string;
    noBallots: string;
    superseded: (n: number) => string;
    invalidated: (n: number) => string;
    draft: string;
    cancelled: (reason: string) => string;
    open: string;
  };
  formsOfBallot: Record<Question['form'], string>;
  rules: Record<string, string>;
  qualified: (share: string, base: 'present' | 'register') => string;
  share: (num: number, den: number, atLeast: boolean) => string;
  counts: Record<string, string>;
  choices: { for: string; against: string; abstain: string; approve: string; reject: string };
  absentee: { none: string; columns: [string, string, string, string, string] };
  documents: { none: string; columns: [string, string, string, string, string] };
  integrity: {
    intro: string;
    auditHead: string;
    ledgerHead: string;
    registerHash: string;
    record: (seq: number) => string;
    organizerKey: string;
    hubKey: string;
    signing: string;
    verify: string;
    signatureLine: string;
    cosigners: string;
  };
  footer: (meetingId: string, version: number, hash: string) => string;
  page: (n: number, of: number) => string;
  zone: (tz: string) => string;
}

const RU: Strings = {
  title: 'ПРОТОКОЛ',
  kinds: { creditors: 'собрание кредиторов', shareholders: 'общее собрание акционеров', board: 'заседание совета директоров', association: 'общее собрание членов товарищества' },
  forms: {
    'in-person-online': 'очная, с использованием электронной площадки',
    absentee: 'заочная (голосование бюллетенями)',
    mixed: 'очная, с приёмом бюллетеней до начала собрания',
  },
  draftMark: 'ПРОЕКТ',
  draftNote: 'Проект протокола: не выпущен и не подписан.',
  meetingFacts: {
    kind: 'Вид собрания',
    form: 'Форма проведения',
    startsAt: 'Назначено на',
    timeZone: 'Время указано по',
    openedAt: 'Собрание открыто',
    closedAt: 'Собрание закрыто',
    notOpened: 'не открывалось',
    place: 'Место проведения',
    placeValue: (p, url) => `электронная площадка ${p}${url ? `, ${url}` : ''}`,
    organizer: 'Организатор (председатель)',
    issued: 'Протокол составлен',
    issuedValue: (at, v) => (v > 0 ? `${at}, выпуск № ${v}` : at),
    meetingId: 'Идентификатор собрания',
  },
  sections: {
    register: 'Реестр требований кредиторов',
    participants: 'Участники собрания и кворум',
    agenda: 'Повестка дня',
    questions: 'Рассмотрение вопросов повестки дня и итоги голосования',
    absentee: 'Бюллетени, полученные заочно',
    documents: 'Документы (материалы собрания)',
    integrity: 'Целостность записей и подписи',
  },
  register: {
    summary: (n, total, secured, voting) =>
      `Требований в реестре: ${n}; общая сумма ${total} руб., из них обеспеченных залогом ${secured} руб. Голосующих требований (без обеспеченных залогом): ${voting} руб.`,
    columns: ['№', 'Кредитор', 'ИНН', 'Сумма, руб.', 'Залог'],
    secured: 'да',
    hash: 'SHA-256 реестра',
  },
  participants: {
    quorumAtOpening: (present, total, pct, reached, at) =>
      `Кворум на момент открытия собрания (${at}): зарегистрированы участники с требованиями на сумму ${present} руб. из ${total} руб. (${pct} %) — кворум ${reached ? 'имеется, собрание правомочно' : 'отсутствует, собрание неправомочно'}.`,
    noOpening: 'Собрание в очной форме не открывалось; кворум определён по каждому голосованию.',
    columns: ['№', 'Участник', 'Роль', 'Требования', 'Голосов, руб.', 'Допущен'],
    roles: { organizer: 'организатор', voter: 'кредитор', representative: 'представитель', observer: 'без права голоса' },
    removed: (at, reason) => `удалён ${at}: ${reason}`,
    absenteeOnly: 'голосовал(а) заочно',
    methods: {
      'invitation-link': 'ссылка-приглашение',
      'one-time-code': 'одноразовый код',
      'external-idp': 'внешний провайдер (ЕСИА)',
      'power-of-attorney': 'доверенность',
      'key-challenge': 'подпись ключом',
      'absentee-link': 'ссылка на бюллетень',
      none: 'решением организатора',
    },
  },
  agendaItem: (n) => `Вопрос ${n} повестки дня`,
  question: {
    heading: (n) => `Голосование ${n}`,
    documents: 'Материалы',
    form: 'Форма бюллетеня',
    rule: 'Порядок принятия решения',
    mode: 'Голосование',
    modes: { open: 'открытое (выбор виден участникам)', closed: 'закрытое (участникам видны только итоги)' },
    options: 'Варианты',
    window: 'Голосование открыто — закрыто',
    absenteeWindow: 'Приём заочных бюллетеней',
    quorumAtOpen: 'Кворум при открытии голосования',
    quorumAtClose: 'Кворум при подведении итогов',
    quorumValue: (present, total, pct, needed, reached) =>
      `${present} из ${total} руб. (${pct} %)${needed ? `, необходимо не менее ${needed}` : ''} — ${reached ? 'имеется' : 'отсутствует'}`,
    resultsColumns: ['Вариант', 'Голосов, руб.', '% от базы'],
    notVoted: 'Присутствовали, но не голосовали',
    invalid: 'Недействительные бюллетени',
    threshold: 'Необходимо для принятия решения',
    thresholdValue: (share, base, of, needed) => `${share} ${base === 'present' ? 'голосов присутствующих' : 'голосов по реестру'} (${of} руб.), т. е. не менее ${needed} руб.`,
    outcome: 'Итог',
    outcomes: { adopted: 'РЕШЕНИЕ ПРИНЯТО', rejected: 'РЕШЕНИЕ НЕ ПРИНЯТО', 'no-decision': 'РЕШЕНИЕ НЕ ПРИНЯТО (решение не определено)' },
    reasons: {
      'no-quorum': 'отсутствует кворум',
      'threshold-met': 'необходимое число голосов набрано',
      'threshold-not-met': 'необходимое число голосов не набрано',
      'class-consent-missing': 'нет согласия всех кредиторов, чьи требования обеспечены залогом',
      tie: 'равенство голосов',
      'no-votes': 'голоса не поданы',
      'seats-filled': 'все места замещены',
      'seat-tie': 'равенство голосов за последнее место: место не замещено',
      'seats-unfilled': 'не все места замещены',
      'highest-score': 'наибольшая сумма баллов',
    },
    winners: 'Избраны / выбраны',
    tied: 'Равенство голосов',
    seats: 'Количество мест',
    seatsFilled: 'Замещено мест',
    median: 'Взвешенная медиана',
    classConsent: (c, m, missing) => `Согласие залоговых кредиторов: ${c} из ${m}${missing ? `; не дали согласия: ${missing}` : ''}`,
    rejectReasons: 'Причины отклонения',
    ballots: 'Именные бюллетени (учтённые)',
    ballotsNotCounted: 'Поданные бюллетени (не учитывались)',
    ballotColumns: ['Запись', 'Кредитор', 'Голосов, руб.', 'Проголосовал', 'Выбор', 'Получен'],
    absenteeMark: 'заочно',
    noBallots: 'Бюллетени не поданы.',
    superseded: (n) => `Заменено повторно поданными бюллетенями: ${n}.`,
    invalidated: (n) => `Не учтено из-за изменения формулировки вопроса: ${n}.`,
    draft: 'Вопрос на голосование не ставился.',
    cancelled: (r) => `Голосование отменено: ${r}`,
    open: 'Голосование не закрыто.',
  },
  formsOfBallot: {
    'for-against-abstain': '«за», «против», «воздержался»',
    'one-of': 'выбор одного варианта',
    'up-to-k': 'выбор нескольких вариантов',
    cumulative: 'кумулятивное голосование',
    ranking: 'ранжирование вариантов',
    'approve-document': 'утверждение документа',
    number: 'числовое значение',
    date: 'выбор даты',
    wording: 'выбор редакции решения',
    split: 'раздельное голосование («за», «против», «воздержался» частями)',
  },
  rules: {
    'majority-present': 'большинство голосов присутствующих (ст. 15 п. 1 Закона о банкротстве)',
    'majority-register': 'большинство голосов от общего числа голосов по реестру (ст. 15 п. 2)',
    'majority-register-with-class': 'большинство голосов по реестру и согласие всех залоговых кредиторов (ст. 150 п. 2)',
    unanimity: 'единогласно',
    choice: 'выбор: более половины голосов',
    'cumulative-election': 'кумулятивное голосование (ст. 18 п. 2)',
    borda: 'ранжирование (сумма баллов, метод Борда)',
  },
  qualified: (share, base) => `квалифицированное большинство: ${share} ${base === 'present' ? 'голосов присутствующих' : 'голосов по реестру'}`,
  share: (num, den, atLeast) => `${atLeast ? 'не менее' : 'более'} ${num === 1 && den === 2 ? 'половины' : `${num}/${den}`}`,
  counts: { for: 'За', against: 'Против', abstain: 'Воздержались', invalid: 'Недействительные' },
  choices: { for: 'за', against: 'против', abstain: 'воздержался', approve: 'утвердить', reject: 'отклонить' },
  absentee: { none: 'Заочные бюллетени не поступали.', columns: ['Голосование', 'Кредитор', 'Голосов, руб.', 'Выбор', 'Получен'] },
  documents: { none: 'Документы к вопросам повестки дня не прикладывались.', columns: ['Вопрос', 'Документ', 'Размер', 'Приложен', 'SHA-256'] },
  integrity: {
    intro:
      'Протокол составлен платформой по журналу бюллетеней и журналу событий собрания. Каждая запись журналов связана хешем SHA-256 с предыдущей; вершины журналов на момент составления протокола:',
    auditHead: 'Вершина журнала событий',
    ledgerHead: 'Вершина журнала бюллетеней',
    registerHash: 'SHA-256 реестра',
    record: (seq) => `запись № ${seq}`,
    organizerKey: 'Ключ подписи организатора (JWK thumbprint)',
    hubKey: 'Ключ платформы, удостоверяющий простые электронные подписи',
    signing:
      'Организатор подписывает манифест протокола (SHA-256 этого файла и протокола в JSON) электронной подписью (JWS, Ed25519) указанным ключом. Кредиторы могут подписать протокол простой электронной подписью: кодом, направленным на адрес, указанный в реестре.',
    verify: 'Подписи, журналы и итоги проверяются без платформы: комплект protocol.zip и программа проверки (npm run verify -- protocol.zip).',
    signatureLine: 'Организатор собрания',
    cosigners: 'Лица, подписавшие протокол (при оформлении на бумаге):',
  },
  footer: (id, v, hash) => `Протокол ${id}${v > 0 ? `, выпуск ${v}` : ''} · SHA-256 (JSON): ${hash}`,
  page: (n, of) => `стр. ${n} из ${of}`,
  zone: (tz) => (tz === 'Europe/Moscow' ? 'МСК' : tz),
};

const EN: Strings = {
  title: 'MINUTES',
  kinds: { creditors: 'meeting of creditors', shareholders: 'general meeting of shareholders', board: 'board meeting', association: 'general meeting of the owners\u2019 association' },
  forms: {
    'in-person-online': 'in person, on an online platform',
    absentee: 'absentee (ballots only)',
    mixed: 'in person online, with ballots accepted before the meeting',
  },
  draftMark: 'DRAFT',
  draftNote: 'Draft minutes: not issued and not signed.',
  meetingFacts: {
    kind: 'Meeting',
    form: 'Form',
    startsAt: 'Scheduled for',
    timeZone: 'Times are in',
    openedAt: 'Opened',
    closedAt: 'Closed',
    notOpened: 'not opened',
    place: 'Place',
    placeValue: (p, url) => `online platform ${p}${url ? `, ${url}` : ''}`,
    organizer: 'Organizer (chair)',
    issued: 'Minutes drawn up',
    issuedValue: (at, v) => (v > 0 ? `${at}, issue no. ${v}` : at),
    meetingId: 'Meeting id',
  },
  sections: {
    register: 'Register of claims',
    participants: 'Participants and quorum',
    agenda: 'Agenda',
    questions: 'Agenda items and voting results',
    absentee: 'Absentee ballots',
    documents: 'Documents (meeting materials)',
    integrity: 'Integrity of the records and signatures',
  },
  register: {
    summary: (n, total, secured, voting) =>
      `Claims in the register: ${n}; total ${total} RUB, of which secured by pledge ${secured} RUB. Voting claims (unsecured): ${voting} RUB.`,
    columns: ['No.', 'Creditor', 'Tax no.', 'Amount, RUB', 'Pledge'],
    secured: 'yes',
    hash: 'SHA-256 of the register',
  },
  participants: {
    quorumAtOpening: (present, total, pct, reached, at) =>
      `Quorum when the meeting opened (${at}): participants holding ${present} RUB of ${total} RUB (${pct} %) were admitted: ${reached ? 'quorum present, the meeting is competent' : 'no quorum, the meeting is not competent'}.`,
    noOpening: 'The meeting was not opened in person; the quorum is given for each vote.',
    columns: ['No.', 'Participant', 'Role', 'Claims', 'Votes, RUB', 'Admitted'],
    roles: { organizer: 'organizer', voter: 'creditor', representative: 'representative', observer: 'non-voting' },
    removed: (at, reason) => `removed ${at}: ${reason}`,
    absenteeOnly: 'voted absentee',
    methods: {
      'invitation-link': 'invitation link',
      'one-time-code': 'one-time code',
      'external-idp': 'identity provider',
      'power-of-attorney': 'power of attorney',
      'key-challenge': 'key signature',
      'absentee-link': 'ballot link',
      none: 'by the organizer',
    },
  },
  agendaItem: (n) => `Agenda item ${n}`,
  question: {
    heading: (n) => `Vote ${n}`,
    documents: 'Materials',
    form: 'Ballot form',
    rule: 'Decision rule',
    mode: 'Voting',
    modes: { open: 'open (choices visible to participants)', closed: 'closed (participants see totals only)' },
    options: 'Options',
    window: 'Vote opened — closed',
    absenteeWindow: 'Absentee ballots accepted',
    quorumAtOpen: 'Quorum when the vote opened',
    quorumAtClose: 'Quorum at the count',
    quorumValue: (present, total, pct, needed, reached) => `${present} of ${total} RUB (${pct} %)${needed ? `, at least ${needed} needed` : ''}: ${reached ? 'present' : 'absent'}`,
    resultsColumns: ['Option', 'Votes, RUB', '% of base'],
    notVoted: 'Present but did not vote',
    invalid: 'Invalid ballots',
    threshold: 'Needed to adopt',
    thresholdValue: (share, base, of, needed) => `${share} of the ${base === 'present' ? 'present' : 'register'} votes (${of} RUB), i.e. at least ${needed} RUB`,
    outcome: 'Outcome',
    outcomes: { adopted: 'ADOPTED', rejected: 'REJECTED', 'no-decision': 'NO DECISION' },
    reasons: {
      'no-quorum': 'no quorum',
      'threshold-met': 'the threshold was reached',
      'threshold-not-met': 'the threshold was not reached',
      'class-consent-missing': 'not every secured creditor consented',
      tie: 'a tie',
      'no-votes': 'no votes were cast',
      'seats-filled': 'all seats filled',
      'seat-tie': 'a tie for the last seat: the seat stays unfilled',
      'seats-unfilled': 'not every seat was filled',
      'highest-score': 'the highest score',
    },
    winners: 'Elected / chosen',
    tied: 'Tied',
    seats: 'Seats',
    seatsFilled: 'Seats filled',
    median: 'Weighted median',
    classConsent: (c, m, missing) => `Consent of secured creditors: ${c} of ${m}${missing ? `; missing: ${missing}` : ''}`,
    rejectReasons: 'Reasons for rejecting',
    ballots: 'Named ballots (counted)',
    ballotsNotCounted: 'Ballots cast (not counted)',
    ballotColumns: ['Record', 'Creditor', 'Votes, RUB', 'Cast by', 'Choice', 'Received'],
    absenteeMark: 'absentee',
    noBallots: 'No ballots were cast.',
    superseded: (n) => `Replaced by a later ballot of the same creditor: ${n}.`,
    invalidated: (n) => `Not counted because the question was reworded: ${n}.`,
    draft: 'Not put to the vote.',
    cancelled: (r) => `Vote cancelled: ${r}`,
    open: 'The vote is not closed.',
  },
  formsOfBallot: {
    'for-against-abstain': 'for / against / abstain',
    'one-of': 'one option from a list',
    'up-to-k': 'several options from a list',
    cumulative: 'cumulative voting',
    ranking: 'ranking of options',
    'approve-document': 'approve a document',
    number: 'a number',
    date: 'a date from proposed dates',
    wording: 'a choice between wordings',
    split: 'split vote (for / against / abstain in parts)',
  },
  rules: {
    'majority-present': 'majority of the votes present (127-FZ art. 15 p. 1)',
    'majority-register': 'majority of all votes in the register (art. 15 p. 2)',
    'majority-register-with-class': 'majority of the register with consent of every secured creditor (art. 150 p. 2)',
    unanimity: 'unanimity',
    choice: 'choice: more than half of the votes',
    'cumulative-election': 'cumulative election (art. 18 p. 2)',
    borda: 'ranking (Borda score)',
  },
  qualified: (share, base) => `qualified majority: ${share} of the ${base === 'present' ? 'present' : 'register'} votes`,
  share: (num, den, atLeast) => `${atLeast ? 'at least' : 'more than'} ${num === 1 && den === 2 ? 'half' : `${num}/${den}`}`,
  counts: { for: 'For', against: 'Against', abstain: 'Abstain', invalid: 'Invalid' },
  choices: { for: 'for', against: 'against', abstain: 'abstain', approve: 'approve', reject: 'reject' },
  absentee: { none: 'No absentee ballots were received.', columns: ['Vote', 'Creditor', 'Votes, RUB', 'Choice', 'Received'] },
  documents: { none: 'No documents were attached to the agenda.', columns: ['Item', 'Document', 'Size', 'Attached', 'SHA-256'] },
  integrity: {
    intro:
      'The platform drew up these minutes from the ballot ledger and the meeting\u2019s audit log. Each record of both logs is linked to the previous one by SHA-256; the heads of the logs when the minutes were drawn up:',
    auditHead: 'Audit log head',
    ledgerHead: 'Ballot ledger head',
    registerHash: 'SHA-256 of the register',
    record: (seq) => `record no. ${seq}`,
    organizerKey: 'Organizer\u2019s signing key (JWK thumbprint)',
    hubKey: 'Platform key attesting simple electronic signatures',
    signing:
      'The organizer signs the manifest of the minutes (SHA-256 of this file and of the minutes in JSON) with an electronic signature (JWS, Ed25519) by the key above. Creditors may sign with a simple electronic signature: a code sent to their address in the register.',
    verify: 'Signatures, logs and results can be checked without the platform: the protocol.zip bundle and the verifier (npm run verify -- protocol.zip).',
    signatureLine: 'Organizer of the meeting',
    cosigners: 'Signed by (on paper):',
  },
  footer: (id, v, hash) => `Minutes ${id}${v > 0 ? `, issue ${v}` : ''} · SHA-256 (JSON): ${hash}`,
  page: (n, of) => `page ${n} of ${of}`,
  zone: (tz) => (tz === 'Europe/Moscow' ? 'MSK' : tz),
};

/** The phrases of a language. */
export const STRINGS: Record<Lang, Strings> = { ru: RU, en: EN };

const NBSP = '\u00a0';

/** "12400000.50" as "12 400 000,50" (ru) or "12,400,000.50" (en); the digits are not touched. */
export function formatMoney(amount: string, lang: Lang): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!m) return amount;
  const [, sign = '', whole = '', frac] = m;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'ru' ? NBSP : ',');
  return `${sign}${grouped}${frac === undefined ? '' : `${lang === 'ru' ? ',' : '.'}${frac}`}`;
}

/** part/base as a percentage with two decimals, rounded half up, computed on integers ("58,12"). */
export function percent(part: string, base: string, lang: Lang): string {
  const p = toCents(part);
  const b = toCents(base);
  if (p === null || b === null || b === 0n) return '—';
  const scaled = (p * 20000n + b) / (2n * b);
  const text = `${scaled / 100n}.${(scaled % 100n).toString().padStart(2, '0')}`;
  return lang === 'ru' ? text.replace('.', ',') : text;
}

function toCents(a: string): bigint | null {
  const m = /^(\d+)\.(\d{2})$/.exec(a);
  return m ? BigInt(m[1]!) * 100n + BigInt(m[2]!) : null;
}

/** A time in the protocol's zone, "10.12.2026 11:02:13 МСК" (ru) or "2026-12-10 11:02:13 MSK" (en). */
export function formatTime(ms: number, tz: string, lang: Lang, withSeconds = true, withZone = true): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  const date = lang === 'ru' ? `${get('day')}.${get('month')}.${get('year')}` : `${get('year')}-${get('month')}-${get('day')}`;
  const time = withSeconds ? `${get('hour')}:${get('minute')}:${get('second')}` : `${get('hour')}:${get('minute')}`;
  return withZone ? `${date} ${time} ${STRINGS[lang].zone(tz)}` : `${date} ${time}`;
}

/** A YYYY-MM-DD date as the language writes it. */
export function formatDate(iso: string, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m && lang === 'ru' ? `${m[3]}.${m[2]}.${m[1]}` : iso;
}

/** A size in bytes, "1,2 МБ" / "1.2 MB". */
export function formatSize(bytes: number, lang: Lang): string {
  const units = lang === 'ru' ? ['Б', 'КБ', 'МБ'] : ['B', 'KB', 'MB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 ? String(v) : v.toFixed(1);
  return `${lang === 'ru' ? text.replace('.', ',') : text}${NBSP}${units[u]}`;
}
