/** What every OpenWhisk entity shows first: its namespace, name, version, publish flag and annotations. Pure. */
import type { KeyValue } from './keyvalues.ts';

export interface EntityHead {
  namespace: string;
  name: string;
  version: string;
  publish: boolean;
  annotations: KeyValue[];
}

/** `namespace` is the shown one: 'ns' for most entities, 'ns/pkg' for an action in a package. */
export function entityHead(doc: EntityHead, namespace: string = doc.namespace): EntityHead {
  return { namespace, name: doc.name, version: doc.version, publish: doc.publish, annotations: doc.annotations };
}
