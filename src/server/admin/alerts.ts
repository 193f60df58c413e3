/**
 * The admin page of alert mappings (/admin/alerts): which alert label sets which component
 * to which status while the alert fires (src/server/alerts/service.ts). Staff read it;
 * admins add and delete mappings.
 */
import type { Db } from '../../db/client.ts';
import type { ComponentStatus } from '../../domain/enums.ts';
import { componentStatusLabel } from '../../domain/status.ts';
import { createAlertMapping, deleteAlertMapping, listAlertMappings } from '../alerts/mappings.ts';
import { listComponents } from '../components/queries.ts';
import type { FormState } from '../forms.ts';
import { runForm } from '../forms.ts';
import { allowed, type Caller } from '../services.ts';
import { COMPONENT_STATUS_OPTIONS } from './incidents.ts';
import { adminPage, blankForm, placeErrors, submitted, text, type PageOutcome } from './page.ts';

export const ALERTS_PATH = '/admin/alerts';
export { COMPONENT_STATUS_OPTIONS };

export type MappingRow = {
  id: number;
  labelName: string;
  labelValue: string;
  componentName: string;
  statusLabel: string;
};

type MappingForm = { label_name: string; label_value: string; component_id: string; status: string };

export type AlertsView = {
  rows: MappingRow[];
  componentOptions: { value: string; label: string }[];
  canManage: boolean;
  form: FormState<MappingForm>;
  notice?: string;
};

const BLANK: MappingForm = { label_name: '', label_value: '', component_id: '', status: 'major_outage' };
const NOTICES: Record<string, string> = { deleted: 'The mapping is deleted.' };

/** GET: the list. POST `intent=create` (label_name, label_value, component_id, status) or `intent=delete` (id). */
export function loadAlertsPage(db: Db, caller: Caller, request: Request): Promise<PageOutcome<AlertsView>> {
  return adminPage<AlertsView>(async () => {
    // Listing first checks the permission: a refused POST changes nothing and shows the 403 page.
    await listAlertMappings(db, caller);
    const form = await submitted(request);
    let state = blankForm({ ...BLANK });
    if (form) {
      const intent = text(form, 'intent');
      if (intent === 'delete') {
        const id = Number(text(form, 'id'));
        const deleted = await runForm({ ...BLANK }, () => deleteAlertMapping(db, caller, id));
        if (deleted.status === 200) return { redirect: `${ALERTS_PATH}?done=deleted` };
        state = deleted;
      } else if (intent === 'create') {
        const values: MappingForm = {
          label_name: text(form, 'label_name'),
          label_value: text(form, 'label_value'),
          component_id: text(form, 'component_id'),
          status: text(form, 'status'),
        };
        state = await runForm(values, async () => {
          const row = await createAlertMapping(db, caller, {
            labelName: values.label_name,
            labelValue: values.label_value,
            componentId: values.component_id,
            status: values.status as ComponentStatus,
          });
          return `Alerts labelled ${row.labelName}=${row.labelValue} now set the component to ${componentStatusLabel(row.status).toLowerCase()} while they fire.`;
        });
        if (state.status === 200) state.values = { ...BLANK };
        state.errors = placeErrors(state.errors, Object.keys(BLANK));
      } else {
        state = {
          values: { ...BLANK },
          errors: { _: 'This form is not one Vigie knows. Reload the page.' },
          status: 400,
        };
      }
    }
    const mappings = await listAlertMappings(db, caller);
    const components = await listComponents(db);
    return {
      status: state.status,
      view: {
        rows: mappings.map((m) => ({
          id: m.id,
          labelName: m.labelName,
          labelValue: m.labelValue,
          componentName: m.componentName,
          statusLabel: componentStatusLabel(m.status),
        })),
        componentOptions: components.map((c) => ({
          value: c.id,
          label: c.visibility === 'internal' ? `${c.name} (internal)` : c.name,
        })),
        canManage: allowed(caller, 'components:manage'),
        form: state,
        notice: form ? undefined : NOTICES[new URL(request.url).searchParams.get('done') ?? ''],
      },
    };
  });
}
