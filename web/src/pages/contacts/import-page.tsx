/**
 * CSV import, step one: choose a file, see its first rows, say what each column is. The page
 * asks the API's preview (the import's own reading of the header and rows) after every change,
 * so what it shows — each column's target, the rows that would be rejected and why, a header
 * the import would refuse — is what the import will do. Then it uploads the file and follows
 * the job on its own page.
 */
import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  FileInput,
  Group,
  NativeSelect,
  SimpleGrid,
  Stack,
  Table,
  TagsInput,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError } from '../../api/errors';
import { useT } from '../../i18n/i18n';
import {
  type ColumnChoice,
  chooseTarget,
  guessColumns,
  importParams,
  TARGETS,
  type Target,
} from './column-mapping';
import { type ImportPreview, previewImport, startImport } from './import-api';
import { contactStrings } from './strings';

const asError = (e: unknown) =>
  e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e), undefined, undefined);

export function ImportPage() {
  const t = useT(contactStrings);
  const navigate = useNavigate();
  const [file, setFile] = useState<File | null>(null);
  const [columns, setColumns] = useState<ColumnChoice[]>([]);
  const [tags, setTags] = useState<string[]>([]);
  const [defaultCountry, setDefaultCountry] = useState('');
  const [consentOptIn, setConsentOptIn] = useState(false);
  const [preview, setPreview] = useState<ImportPreview | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [starting, setStarting] = useState(false);

  const params = useMemo(
    () => importParams({ columns, tags, defaultCountry, consentOptIn }),
    [columns, tags, defaultCountry, consentOptIn],
  );

  // A new file: read its header as the API does, then guess what each column is.
  useEffect(() => {
    setPreview(undefined);
    setColumns([]);
    setError(undefined);
    if (!file) return;
    let live = true;
    previewImport(file, new URLSearchParams()).then(
      (p) => live && setColumns(guessColumns(p.columns.map((c) => c.header))),
      (e: unknown) => live && setError(asError(e)),
    );
    return () => {
      live = false;
    };
  }, [file]);

  // Every change of the mapping or options: the API's verdict, after a short pause.
  useEffect(() => {
    if (!file || columns.length === 0) return;
    let live = true;
    const timer = setTimeout(() => {
      previewImport(file, params).then(
        (p) => {
          if (!live) return;
          setPreview(p);
          setError(undefined);
        },
        (e: unknown) => live && setError(asError(e)),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [file, params, columns.length]);

  async function start() {
    if (!file) return;
    setStarting(true);
    setError(undefined);
    try {
      const { id } = await startImport(file, params);
      navigate(`/contacts/import/${id}`);
    } catch (e) {
      setError(asError(e));
      setStarting(false);
    }
  }

  const ready = !!file && !!preview && preview.problem === null && !starting;
  return (
    <Stack>
      <Anchor component={Link} to="/contacts" size="sm">
        {t('backToList')}
      </Anchor>
      <Title order={1}>{t('importTitle')}</Title>
      <Text size="sm">{t('importIntro')}</Text>
      <FileInput
        label={t('csvFile')}
        description={t('csvFileHelp')}
        placeholder={t('chooseFile')}
        accept=".csv,text/csv,text/plain"
        value={file}
        onChange={setFile}
        clearable
        clearButtonProps={{ 'aria-label': t('clearFile') }}
      />
      {error && (
        <Alert color="red.9" variant="outline" role="alert" title={t('fileRefused')}>
          {error.message}
          {error.hint ? ` ${error.hint}` : ''}
        </Alert>
      )}
      {columns.length > 0 && (
        <>
          <Title order={2} size="h3">
            {t('mapColumns')}
          </Title>
          <MappingTable columns={columns} preview={preview} onChange={setColumns} />
          {preview?.problem && (
            <Alert color="red.9" variant="outline" role="alert" title={t('mappingProblem')}>
              {columns.some((c) => c.target === 'phone') ? '' : `${t('choosePhone')} `}
              {preview.problem}
            </Alert>
          )}
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TagsInput label={t('tagAll')} description={t('tagAllHelp')} value={tags} onChange={setTags} />
            <TextInput
              label={t('defaultCountry')}
              description={t('defaultCountryHelp')}
              placeholder="AR"
              maxLength={2}
              value={defaultCountry}
              onChange={(e) => setDefaultCountry(e.currentTarget.value)}
            />
            <Checkbox
              mt="lg"
              label={t('consentOptIn')}
              description={t('consentOptInHelp')}
              checked={consentOptIn}
              onChange={(e) => setConsentOptIn(e.currentTarget.checked)}
            />
          </SimpleGrid>
          <Group justify="flex-end">
            <Button onClick={start} disabled={!ready} loading={starting}>
              {t('startImport')}
            </Button>
          </Group>
        </>
      )}
    </Stack>
  );
}

function MappingTable({
  columns,
  preview,
  onChange,
}: {
  columns: ColumnChoice[];
  preview: ImportPreview | undefined;
  onChange(c: ColumnChoice[]): void;
}) {
  const t = useT(contactStrings);
  const rows = preview?.rows ?? [];
  return (
    <Table.ScrollContainer minWidth={Math.max(480, columns.length * 170)}>
      <Table withColumnBorders aria-label={t('mapColumns')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('line')}</Table.Th>
            {columns.map((c, i) => (
              <Table.Th key={`column:${c.header}`} style={{ verticalAlign: 'top' }}>
                <Stack gap={4}>
                  <Text fw={700} size="sm">
                    {c.header}
                  </Text>
                  <NativeSelect
                    size="xs"
                    aria-label={t('columnBecomes', { column: c.header })}
                    value={c.target}
                    onChange={(e) => onChange(chooseTarget(columns, i, e.currentTarget.value as Target))}
                    data={TARGETS.map((x) => ({ value: x, label: t(`target_${x}`) }))}
                  />
                  {c.target === 'attribute' && (
                    <TextInput
                      size="xs"
                      aria-label={t('attributeNameFor', { column: c.header })}
                      value={c.attribute}
                      onChange={(e) => {
                        const attribute = e.currentTarget.value;
                        onChange(columns.map((x, j) => (j === i ? { ...x, attribute } : x)));
                      }}
                    />
                  )}
                </Stack>
              </Table.Th>
            ))}
            <Table.Th>{t('verdict')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={r.line} bg={r.reject ? 'var(--mantine-color-red-0)' : undefined}>
              <Table.Td>{r.line}</Table.Td>
              {columns.map((c, i) => (
                <Table.Td key={`column:${c.header}`}>{r.fields[i] ?? ''}</Table.Td>
              ))}
              <Table.Td>
                {r.reject ? (
                  <Text size="xs" c="red.9">
                    {t('wouldReject', { reason: r.reject.reason })}
                  </Text>
                ) : (
                  <Text size="xs">{t('wouldImport')}</Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
