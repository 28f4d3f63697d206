import {
  Alert,
  Button,
  Center,
  Paper,
  PasswordInput,
  SegmentedControl,
  Stack,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { ApiError } from '../api/errors';
import { useT } from '../i18n/i18n';
import { LanguagePicker } from './language-picker';
import { useSession } from './session';
import { shellStrings } from './strings';

export function SignInPage() {
  const t = useT(shellStrings);
  const { signIn } = useSession();
  const [mode, setMode] = useState<'password' | 'key'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(mode === 'password' ? { username, password } : { api_key: apiKey });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'NETWORK', String(err), undefined, undefined));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center mih="100vh" p="md">
      <Paper component="main" withBorder p="xl" radius="md" w="100%" maw={420}>
        <form onSubmit={submit} aria-labelledby="sign-in-title">
          <Stack>
            <Title order={1} size="h3" id="sign-in-title">
              {t('signInTitle')}
            </Title>
            <SegmentedControl
              value={mode}
              onChange={(v) => setMode(v as 'password' | 'key')}
              data={[
                { value: 'password', label: t('withPassword') },
                { value: 'key', label: t('withApiKey') },
              ]}
            />
            {mode === 'password' ? (
              <>
                <TextInput
                  label={t('username')}
                  autoComplete="username"
                  required
                  value={username}
                  onChange={(e) => setUsername(e.currentTarget.value)}
                />
                <PasswordInput
                  label={t('password')}
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.currentTarget.value)}
                />
              </>
            ) : (
              <PasswordInput
                label={t('apiKey')}
                autoComplete="off"
                required
                value={apiKey}
                onChange={(e) => setApiKey(e.currentTarget.value)}
              />
            )}
            {error && (
              <Alert color="red" title={t('signInFailed')} role="alert">
                {error.message}
                {error.hint ? ` ${error.hint}` : ''}
              </Alert>
            )}
            <Button type="submit" loading={busy}>
              {t('signIn')}
            </Button>
            <LanguagePicker />
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
