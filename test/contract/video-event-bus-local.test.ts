/** The in-process VideoEventBus against the contract: `peer` is the bus itself (one process). */
import { LocalVideoEventBus } from '../../src/videos/video-events.js';
import { videoEventBusContract } from './video-event-bus-contract.js';

videoEventBusContract({
  name: 'LocalVideoEventBus',
  open: async () => {
    const bus = new LocalVideoEventBus();
    return { bus, peer: bus, close: async () => {} };
  },
});
