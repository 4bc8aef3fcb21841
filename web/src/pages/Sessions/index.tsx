/** `/tenants/{t}/sessions`: the login history — who, when, how long, why, under which ticket, granted by whom, from where. */
import Box from '@cloudscape-design/components/box';
import DateRangePicker, { type DateRangePickerProps } from '@cloudscape-design/components/date-range-picker';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Autosuggest from '@cloudscape-design/components/autosuggest';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { useEffect, useState } from 'react';
import { ApiError } from '../../api/client.ts';
import { useLatestGrants } from '../../api/grants.ts';
import { useSessions } from '../../api/sessions.ts';
import { DownloadCsv } from '../../download.tsx';
import { ErrorPage, fieldError } from '../../shell/errors.tsx';
import { sessionColumns } from './columns.tsx';
import { Pager } from '../../shell/Pager.tsx';
const DAY = 864e5;

/** The API's `from`/`to` of a picked range: whole days in the browser's time zone, or the last n days. */
export function rangeQuery(range: DateRangePickerProps.Value | null, now = Date.now()): { from?: string; to?: string } {
  if (!range) return {};
  if (range.type === 'relative') return { from: new Date(now - range.amount * (range.unit === 'week' ? 7 * DAY : DAY)).toISOString() };
  const start = new Date(`${range.startDate.slice(0, 10)}T00:00:00`);
  const end = new Date(`${range.endDate.slice(0, 10)}T00:00:00`);
  // `to` is exclusive: the first moment after the last picked day.
  return { from: start.toISOString(), to: new Date(end.getTime() + DAY).toISOString() };
}

/** A person filter worth sending: empty, or something with an `@` (the API says what is wrong with it). */
const emailish = (v: string) => v === '' || v.includes('@');

export default function Sessions({ tenantId }: { tenantId: string }) {
  const [personDraft, setPersonDraft] = useState('');
  const [person, setPerson] = useState('');
  const [range, setRange] = useState<DateRangePickerProps.Value | null>(null);
  // Computed when the range is picked: "last 7 days" counts from then, not from every render.
  const [dates, setDates] = useState<{ from?: string; to?: string }>({});
  // The filter follows the field after a pause in typing, so each keystroke is not a request.
  useEffect(() => {
    const v = personDraft.trim();
    if (!emailish(v)) return;
    const t = setTimeout(() => setPerson(v), 400);
    return () => clearTimeout(t);
  }, [personDraft]);
  const filters = { ...dates, ...(person ? { accessedBy: person } : {}) };
  const list = useSessions(tenantId, filters);
  // The ticket of each session's grant (the latest 100 grants).
  const grants = useLatestGrants(tenantId);
  // A filter the API refuses is shown on its field; anything else is the page's error.
  const badFilter = list.error instanceof ApiError && list.error.status === 400 ? list.error : null;
  if (list.error && !badFilter) return <ErrorPage error={list.error} />;
  const ticketOf = new Map((grants.data ?? []).map((g) => [g.grantId, g.ticketId]));
  const seen = [...new Map(list.items.map((s) => [s.accessedBy.email, s.accessedBy])).values()];
  const items = list.items;
  const filtered = Boolean(person || range);
  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={`Tenant ${tenantId}: every sign-in by support, newest first.`}
        actions={<DownloadCsv tenantId={tenantId} what="sessions" />}
      >
        Login history
      </Header>
      <Table
        loading={list.loading}
        loadingText="Loading the login history"
        items={items}
        trackBy="sessionId"
        variant="container"
        header={
          <Header variant="h2" counter={`(${items.length})`}>
            Sign-ins
          </Header>
        }
        pagination={<Pager paging={list.paging} />}
        filter={
          <SpaceBetween direction="horizontal" size="m">
            <FormField
              label="Person"
              constraintText={emailish(personDraft.trim()) ? 'The email of who signed in.' : 'Type the whole email, or pick a person.'}
              errorText={fieldError(badFilter, 'query.accessedBy')}
            >
              <Autosuggest
                value={personDraft}
                onChange={(e) => setPersonDraft(e.detail.value)}
                options={seen.map((a) => ({ value: a.email, label: a.name, description: a.email }))}
                placeholder="Anyone"
                enteredTextLabel={(v) => `Use: ${v}`}
                ariaLabel="Person"
                empty="Nobody in this list yet"
              />
            </FormField>
            <FormField label="Signed in between" errorText={fieldError(badFilter, 'query.from') ?? fieldError(badFilter, 'query.to')}>
              <DateRangePicker
                value={range}
                dateOnly
                onChange={(e) => (setRange(e.detail.value), setDates(rangeQuery(e.detail.value)))}
                placeholder="Any time"
                relativeOptions={[
                  { key: '1d', amount: 1, unit: 'day', type: 'relative' },
                  { key: '7d', amount: 7, unit: 'day', type: 'relative' },
                  { key: '30d', amount: 30, unit: 'day', type: 'relative' },
                ]}
                isValidRange={(r) =>
                  r && r.type === 'absolute' && (!r.startDate || !r.endDate)
                    ? { valid: false, errorMessage: 'Choose a start and an end.' }
                    : { valid: true }
                }
                i18nStrings={{
                  clearButtonLabel: 'Clear',
                  applyButtonLabel: 'Apply',
                  cancelButtonLabel: 'Cancel',
                  relativeModeTitle: 'Relative',
                  absoluteModeTitle: 'Absolute',
                  relativeRangeSelectionHeading: 'Choose a range',
                  customRelativeRangeOptionLabel: 'Custom range',
                  customRelativeRangeOptionDescription: 'Set a custom range',
                  customRelativeRangeDurationLabel: 'Duration',
                  customRelativeRangeUnitLabel: 'Unit',
                  startDateLabel: 'Start date',
                  endDateLabel: 'End date',
                  startTimeLabel: 'Start time',
                  endTimeLabel: 'End time',
                  formatRelativeRange: (r) => `Last ${r.amount} ${r.unit}${r.amount === 1 ? '' : 's'}`,
                  formatUnit: (u, n) => (n === 1 ? u : `${u}s`),
                  dateConstraintText: 'Dates as YYYY/MM/DD, in your time zone.',
                }}
              />
            </FormField>
          </SpaceBetween>
        }
        empty={<Box>No sign-ins{filtered ? ' match the filters' : ' yet'}.</Box>}
        columnDefinitions={sessionColumns(tenantId, ticketOf)}
      />
    </SpaceBetween>
  );
}
