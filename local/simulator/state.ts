/**
 * The simulator's mutable world. Services change the world-shaped data in place, so dumping the
 * state is a copy of it; counters that steer AWS-like behaviour (status transitions, eventual
 * consistency) live beside it and are not dumped.
 */
import { createHash } from 'node:crypto';
import { eksctlTemplate } from './services/cloudformation-template.ts';
import type { World, WorldCluster, WorldRole } from './world.ts';

/** An event a workflow put on EventBridge; kept for tests and the demo, not part of the world. */
export interface PublishedEvent {
  source: string;
  detailType: string;
  detail: unknown;
  eventBusName: string;
}

export class SimulatorState {
  readonly world: World;
  readonly events: PublishedEvent[] = [];
  private readonly counters = new Map<string, number>();
  private sequence = 0;

  constructor(world: World) {
    this.world = structuredClone(world);
    for (const role of this.world.roles) {
      role.roleId ??= this.roleIdFor(role.name);
      role.createDate ??= '2024-01-01T00:00:00Z';
    }
    for (const stack of this.world.stacks) {
      stack.template ??= eksctlTemplate(stack, this.world.roles);
    }
    for (const cluster of this.world.clusters) {
      for (const association of cluster.podIdentityAssociations) {
        association.associationId ??= this.newId(
          'a-',
          `${cluster.name}/${association.namespace}/${association.serviceAccount}`,
        );
      }
    }
  }

  get account(): string {
    return this.world.account;
  }

  get region(): string {
    return this.world.region;
  }

  get partition(): string {
    return this.world.partition;
  }

  cluster(name: string): WorldCluster | undefined {
    return this.world.clusters.find((cluster) => cluster.name === name);
  }

  role(name: string): WorldRole | undefined {
    return this.world.roles.find((role) => role.name === name);
  }

  roleArn(role: WorldRole): string {
    return `arn:${this.partition}:iam::${this.account}:role${role.path}${role.name}`;
  }

  clusterArn(cluster: WorldCluster): string {
    return `arn:${this.partition}:eks:${this.region}:${this.account}:cluster/${cluster.name}`;
  }

  /** Increments and returns a named counter (describe calls seen, EKS sightings of a role...). */
  count(key: string): number {
    const next = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, next);
    return next;
  }

  peek(key: string): number {
    return this.counters.get(key) ?? 0;
  }

  reset(key: string): void {
    this.counters.delete(key);
  }

  /**
   * Identifiers derived from a seed are stable across runs of the same world, which keeps dumps
   * and test expectations deterministic; the sequence keeps repeated seeds distinct.
   */
  newId(prefix: string, seed: string, length = 17): string {
    this.sequence += 1;
    const digest = createHash('sha256').update(`${seed}#${this.sequence}`).digest('hex');
    return `${prefix}${digest.slice(0, length)}`;
  }

  roleIdFor(name: string): string {
    return this.stableIdFor('AROA', name);
  }

  /** An IAM-shaped unique id (`AROA…` for roles, `ANPA…` for policies) that depends only on `seed`. */
  stableIdFor(prefix: string, seed: string): string {
    const digest = createHash('sha256').update(seed).digest('hex').toUpperCase();
    return `${prefix}${digest.replace(/[^A-Z0-9]/g, '').slice(0, 17)}`;
  }

  /** Simulated clock: a fixed epoch plus one second per identifier issued keeps dumps reproducible. */
  now(): Date {
    return new Date(Date.UTC(2026, 0, 1) + this.sequence * 1000);
  }

  dump(): World {
    return structuredClone(this.world);
  }
}
