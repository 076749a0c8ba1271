import type { Attribute, OnnxNode, OnnxTensor } from './onnx-proto';

/** Collects nodes and constant tensors, giving every value a name no other value has. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly names = new Set<string>();
  private readonly scalars = new Map<number, string>();

  constant(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims, data });
    return unique;
  }

  /** A float32 scalar, shared by every node that needs the same value (Clip bounds). */
  scalar(value: number): string {
    let name = this.scalars.get(value);
    if (!name) {
      name = this.constant(`const_${value}`, [], Float32Array.of(value));
      this.scalars.set(value, name);
    }
    return name;
  }

  /** Adds a node with one output, named after `name`, and returns that output's name. */
  op(opType: string, name: string, inputs: readonly string[], attributes?: Record<string, Attribute>): string {
    const output = this.unique(name);
    this.nodes.push({ opType, name: output, inputs, outputs: [output], ...(attributes ? { attributes } : {}) });
    return output;
  }

  /** Claims a name for a value the graph gets from outside (its input). */
  reserve(name: string): void {
    if (this.names.has(name)) throw new Error(`ONNX value name ${name} is taken`);
    this.names.add(name);
  }

  private unique(name: string): string {
    let candidate = name;
    for (let i = 1; this.names.has(candidate); i++) candidate = `${name}_${i}`;
    this.names.add(candidate);
    return candidate;
  }
}
