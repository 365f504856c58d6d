import { Box, Group, Stack, Text, useComputedColorScheme, VisuallyHidden } from '@mantine/core';
import type cytoscape from 'cytoscape';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { ENTITY_KINDS, type EntityKind } from '../../../../src/cases/model.ts';
import { useI18n } from '../../i18n/index.tsx';
import { Loading } from '../States.tsx';
import { ENTITY_KEYS, RELATION_KEYS } from './labels.tsx';
import type { Network } from './network.ts';

/**
 * The case's network drawn with Cytoscape. The library is loaded on first use (a chunk of
 * its own), so neither the console's first load nor the other pages carry it. Nodes with a
 * page of their own open it on click; the relations are also listed for screen readers.
 */

const KIND_COLORS: Record<EntityKind, string> = {
  customer: '#4c6ef5',
  merchant: '#be4bdb',
  account: '#868e96',
  device: '#12b886',
  ip: '#15aabf',
  bank_account: '#495057',
  transaction: '#228be6',
  decision: '#f59f00',
  hold: '#fd7e14',
  withdrawal: '#fa5252',
  dispute: '#e64980',
  feedback: '#82c91e',
};

const KIND_SHAPES: Partial<Record<EntityKind, cytoscape.Css.NodeShape>> = {
  decision: 'round-rectangle',
  hold: 'round-diamond',
  device: 'round-rectangle',
  ip: 'round-tag',
  transaction: 'round-rectangle',
  withdrawal: 'round-diamond',
};

const GRAPH_HEIGHT_PX = 420;
const FIT_PADDING_PX = 30;
/** Nodes and edges up to which the layout is a tree (beyond, rings). */
const TREE_ELEMENTS_MAX = 16;

function shortRef(ref: string): string {
  return ref.length > 16 ? `${ref.slice(0, 4)}…${ref.slice(-6)}` : ref;
}

export function NetworkGraph({ network }: { network: Network }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const scheme = useComputedColorScheme('light');
  const ref = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');

  const elements = useMemo<cytoscape.ElementDefinition[]>(
    () => [
      ...network.nodes.map((n) => ({
        group: 'nodes' as const,
        data: {
          id: n.id,
          label: `${t(ENTITY_KEYS[n.kind])}\n${shortRef(n.ref)}`,
          kind: n.kind,
          subject: n.subject ? 1 : 0,
          ...(n.href ? { href: n.href } : {}),
        },
      })),
      ...network.edges.map((e) => ({
        group: 'edges' as const,
        data: { id: e.id, source: e.source, target: e.target, label: t(RELATION_KEYS[e.relation]) },
      })),
    ],
    [network, t],
  );
  const roots = useMemo(() => network.nodes.filter((n) => n.subject).map((n) => n.id), [network]);

  useEffect(() => {
    let cy: cytoscape.Core | null = null;
    let observer: ResizeObserver | null = null;
    let cancelled = false;
    const dark = scheme === 'dark';
    const text = dark ? '#dee2e6' : '#212529';
    const background = dark ? '#242424' : '#ffffff';
    setState('loading');
    (async () => {
      try {
        const { default: make } = await import('cytoscape');
        const container = ref.current;
        if (cancelled || !container) return;
        const style: cytoscape.StylesheetJson = [
          {
            selector: 'node',
            style: {
              label: 'data(label)',
              'text-wrap': 'wrap',
              'text-valign': 'bottom',
              'text-margin-y': 4,
              'font-size': 10,
              color: text,
              width: 26,
              height: 26,
              'background-color': '#868e96',
              'border-width': 0,
            },
          },
          ...ENTITY_KINDS.map((kind) => ({
            selector: `node[kind = "${kind}"]`,
            style: { 'background-color': KIND_COLORS[kind], shape: KIND_SHAPES[kind] ?? 'ellipse' },
          })),
          {
            selector: 'node[subject = 1]',
            // Its label above: the edges leave it downwards (tree) and would cross a label below.
            style: {
              width: 40,
              height: 40,
              'border-width': 3,
              'border-color': text,
              'font-weight': 'bold',
              'text-valign': 'top',
              'text-margin-y': -4,
            },
          },
          {
            selector: 'edge',
            style: {
              label: 'data(label)',
              width: 1.5,
              'line-color': dark ? '#5c5f66' : '#adb5bd',
              'target-arrow-color': dark ? '#5c5f66' : '#adb5bd',
              'target-arrow-shape': 'triangle',
              'curve-style': 'bezier',
              'font-size': 9,
              color: text,
              'text-rotation': 'autorotate',
              'text-background-color': background,
              'text-background-opacity': 1,
              'text-background-padding': '2px',
            },
          },
        ];
        cy = make({
          container,
          elements,
          style,
          layout:
            roots.length > 0
              ? {
                  name: 'breadthfirst',
                  directed: true,
                  // A few nodes read best as a tree; more fit as rings around the customer.
                  circle: elements.length > TREE_ELEMENTS_MAX,
                  roots,
                  spacingFactor: 1.1,
                  padding: FIT_PADDING_PX,
                  animate: false,
                }
              : { name: 'cose', padding: FIT_PADDING_PX, animate: false },
          userZoomingEnabled: false,
          boxSelectionEnabled: false,
          maxZoom: 1.6,
        });
        const graph = cy;
        graph.on('tap', 'node', (e) => {
          const href: unknown = e.target.data('href');
          if (typeof href === 'string' && href !== '') navigate(href);
        });
        graph.on('mouseover', 'node[href]', () => {
          container.style.cursor = 'pointer';
        });
        graph.on('mouseout', 'node', () => {
          container.style.cursor = '';
        });
        observer = new ResizeObserver(() => {
          graph.resize();
          graph.fit(undefined, FIT_PADDING_PX);
        });
        observer.observe(container);
        setState('ready');
      } catch {
        if (!cancelled) setState('failed');
      }
    })();
    return () => {
      cancelled = true;
      observer?.disconnect();
      cy?.destroy();
    };
  }, [elements, roots, scheme, navigate]);

  const byId = new Map(network.nodes.map((n) => [n.id, n]));
  const name = (id: string) => {
    const n = byId.get(id);
    return n ? `${t(ENTITY_KEYS[n.kind])} ${n.ref}` : id;
  };
  const kinds = [...new Set(network.nodes.map((n) => n.kind))];

  return (
    <Stack gap="xs">
      <Box
        pos="relative"
        style={{
          height: GRAPH_HEIGHT_PX,
          border: '1px solid var(--mantine-color-default-border)',
          borderRadius: 'var(--mantine-radius-sm)',
        }}
      >
        <div
          ref={ref}
          role="img"
          aria-label={t('network.label', { nodes: network.nodes.length, edges: network.edges.length })}
          data-testid="case-network"
          data-state={state}
          data-nodes={network.nodes.length}
          data-edges={network.edges.length}
          style={{ position: 'absolute', inset: 0 }}
        />
        {state === 'loading' && (
          <Box pos="absolute" top={0} left={0} right={0}>
            <Loading label={t('network.loading')} />
          </Box>
        )}
        {state === 'failed' && (
          <Text c="red" size="sm" p="sm" role="alert" pos="absolute">
            {t('network.failed')}
          </Text>
        )}
      </Box>
      <Group gap="md" data-testid="network-legend">
        {kinds.map((k) => (
          <Group key={k} gap={6} wrap="nowrap">
            <Box w={10} h={10} style={{ borderRadius: 5, background: KIND_COLORS[k] }} aria-hidden />
            <Text size="xs" c="dimmed">
              {t(ENTITY_KEYS[k])}
            </Text>
          </Group>
        ))}
      </Group>
      {network.omitted > 0 && (
        <Text size="xs" c="dimmed">
          {t('network.omitted', { count: network.omitted })}
        </Text>
      )}
      <VisuallyHidden>
        <ul aria-label={t('network.relations')}>
          {network.edges.map((e) => (
            <li key={e.id}>{`${name(e.source)} — ${t(RELATION_KEYS[e.relation])} → ${name(e.target)}`}</li>
          ))}
        </ul>
      </VisuallyHidden>
    </Stack>
  );
}
