/**
 * A loopback OTLP/HTTP receiver for the tests: it accepts `POST /v1/metrics` and `/v1/traces`
 * with protobuf bodies and decodes them with the official OpenTelemetry protobuf definitions
 * (the protobufjs root generated from opentelemetry-proto, as shipped in
 * `@opentelemetry/otlp-proto-exporter-base`) — independent of the encoder under test.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: a generated protobufjs root, typed by its own d.ts only loosely.
const root: any = require('@opentelemetry/otlp-proto-exporter-base/build/src/generated/root.js');
const proto = root.opentelemetry.proto;

/** A data point, flattened: attributes as a plain object, the value as a number. */
export interface Point {
  readonly attributes: Record<string, unknown>;
  readonly value: number;
  readonly count?: number;
}

/** A decoded metric: name, unit, kind, points. */
export interface ReceivedMetric {
  readonly name: string;
  readonly unit: string;
  readonly kind: 'gauge' | 'sum' | 'histogram' | 'other';
  readonly points: Point[];
  readonly resource: Record<string, unknown>;
}

/** A decoded span. */
export interface ReceivedSpan {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly attributes: Record<string, unknown>;
  readonly events: Array<{ name: string; attributes: Record<string, unknown> }>;
  readonly status: { code: number; message: string };
  readonly durationMs: number;
}

// biome-ignore lint/suspicious/noExplicitAny: decoded protobuf objects.
function anyValue(v: any): unknown {
  if (v == null) return undefined;
  // The generated code names the set member of the `value` oneof.
  switch (v.value) {
    case 'stringValue':
      return v.stringValue;
    case 'intValue':
      return num(v.intValue);
    case 'doubleValue':
      return v.doubleValue;
    case 'boolValue':
      return v.boolValue;
    case 'arrayValue':
      return (v.arrayValue.values ?? []).map(anyValue);
    default:
      return undefined;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: decoded protobuf objects.
function attrs(list: any[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

// biome-ignore lint/suspicious/noExplicitAny: protobufjs Long or number.
const num = (v: any): number =>
  v !== null && typeof v === 'object' && 'toNumber' in v ? v.toNumber() : Number(v ?? 0);

const hex = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('hex');

/** The receiver: what it got, decoded. */
export class OtlpReceiver {
  readonly metrics: ReceivedMetric[] = [];
  readonly spans: ReceivedSpan[] = [];
  /** Requests and their content types, for assertions on the transport. */
  readonly requests: Array<{ path: string; contentType: string }> = [];
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        receiver!.requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '' });
        try {
          if (req.url === '/v1/metrics') receiver!.addMetrics(body);
          else if (req.url === '/v1/traces') receiver!.addSpans(body);
          else {
            res.writeHead(404).end();
            return;
          }
        } catch (error) {
          res.writeHead(400).end(String(error));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  /** The newest points of metric `name` (from its latest export). */
  latest(name: string): ReceivedMetric | undefined {
    return this.metrics.findLast((m) => m.name === name);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private addMetrics(body: Buffer): void {
    const request = proto.collector.metrics.v1.ExportMetricsServiceRequest.decode(body);
    for (const rm of request.resourceMetrics) {
      const resource = attrs(rm.resource?.attributes);
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          const kind = m.gauge ? 'gauge' : m.sum ? 'sum' : m.histogram ? 'histogram' : 'other';
          // biome-ignore lint/suspicious/noExplicitAny: decoded protobuf objects.
          const raw: any[] = m.gauge?.dataPoints ?? m.sum?.dataPoints ?? m.histogram?.dataPoints ?? [];
          const points = raw.map((p) => ({
            attributes: attrs(p.attributes),
            value: kind === 'histogram' ? num(p.sum) : (p.asDouble ?? num(p.asInt)),
            ...(kind === 'histogram' ? { count: num(p.count) } : {}),
          }));
          this.metrics.push({ name: m.name, unit: m.unit, kind, points, resource });
        }
      }
    }
  }

  private addSpans(body: Buffer): void {
    const request = proto.collector.trace.v1.ExportTraceServiceRequest.decode(body);
    for (const rs of request.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          this.spans.push({
            name: s.name,
            traceId: hex(s.traceId),
            spanId: hex(s.spanId),
            parentSpanId: hex(s.parentSpanId),
            attributes: attrs(s.attributes),
            // biome-ignore lint/suspicious/noExplicitAny: decoded protobuf objects.
            events: (s.events ?? []).map((e: any) => ({ name: e.name, attributes: attrs(e.attributes) })),
            status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
            durationMs: (num(s.endTimeUnixNano) - num(s.startTimeUnixNano)) / 1e6,
          });
        }
      }
    }
  }
}
