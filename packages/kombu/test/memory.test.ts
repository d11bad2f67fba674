import { describeTransport } from '@cq/kombu/testing';
import { Connection } from '@cq/kombu';

describeTransport('memory', () => new Connection('memory://conformance'));
