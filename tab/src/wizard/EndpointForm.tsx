import { Checkbox, Dropdown, Field, Input, makeStyles, Option } from '@fluentui/react-components';
import type { AdminMode, EndpointDraft, Security } from './wizard-steps';

const useStyles = makeStyles({ grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))', gap: '12px' } });

const SECURITY: Record<Security, string> = { tls: 'TLS (port 993)', starttls: 'STARTTLS (port 143)', none: 'None (trusted networks only)' };
const ADMIN_MODES: Record<AdminMode, string> = {
  none: 'None: each item has its own login',
  'plain-authzid': 'Master user (SASL PLAIN authzid)',
  'login-star': 'Master user (user*admin login)',
};

/** The fields of the endpoint schema (api/core/schemas.ts `endpointInput`), IMAP flavour. */
export function EndpointForm({ draft, problems, onChange, idPrefix }: {
  draft: EndpointDraft; problems: Record<string, string>; onChange: (draft: EndpointDraft) => void; idPrefix: string;
}) {
  const styles = useStyles();
  const set = <K extends keyof EndpointDraft>(key: K, value: EndpointDraft[K]) => onChange({ ...draft, [key]: value });
  const msg = (key: string) => (problems[key] ? { validationMessage: problems[key], validationState: 'error' as const } : {});
  return (
    <div className={styles.grid}>
      <Field label="Endpoint name" required {...msg('name')}>
        <Input id={`${idPrefix}-name`} value={draft.name} onChange={(_, d) => set('name', d.value)} />
      </Field>
      <Field label="Server host name" required hint="e.g. imap.contoso.com" {...msg('host')}>
        <Input value={draft.host} onChange={(_, d) => set('host', d.value)} />
      </Field>
      <Field label="Port" hint="Empty: 993 for TLS, 143 otherwise" {...msg('port')}>
        <Input inputMode="numeric" value={draft.port} onChange={(_, d) => set('port', d.value)} />
      </Field>
      <Field label="Encryption">
        <Dropdown value={SECURITY[draft.security]} selectedOptions={[draft.security]} onOptionSelect={(_, d) => set('security', d.optionValue as Security)}>
          {Object.entries(SECURITY).map(([value, text]) => <Option key={value} value={value}>{text}</Option>)}
        </Dropdown>
      </Field>
      <Field label="Admin access">
        <Dropdown value={ADMIN_MODES[draft.adminMode]} selectedOptions={[draft.adminMode]} onOptionSelect={(_, d) => set('adminMode', d.optionValue as AdminMode)}>
          {Object.entries(ADMIN_MODES).map(([value, text]) => <Option key={value} value={value}>{text}</Option>)}
        </Dropdown>
      </Field>
      {draft.adminMode !== 'none' && (
        <>
          <Field label="Admin login" required {...msg('adminLogin')}>
            <Input value={draft.adminLogin} autoComplete="off" onChange={(_, d) => set('adminLogin', d.value)} />
          </Field>
          <Field label="Admin password" required hint="Stored encrypted; never shown again" {...msg('adminPassword')}>
            <Input type="password" value={draft.adminPassword} autoComplete="new-password" onChange={(_, d) => set('adminPassword', d.value)} />
          </Field>
        </>
      )}
      <Field label="Domains" hint="Optional, separated by commas">
        <Input value={draft.domains} onChange={(_, d) => set('domains', d.value)} />
      </Field>
      <Checkbox label="Accept a self-signed certificate (this endpoint only)" checked={draft.allowSelfSigned} onChange={(_, d) => set('allowSelfSigned', d.checked === true)} />
      <Checkbox label="Send the password as an OAuth 2.0 access token (XOAUTH2)" checked={draft.authMechanism === 'xoauth2'} onChange={(_, d) => set('authMechanism', d.checked === true ? 'xoauth2' : 'password')} />
    </div>
  );
}
