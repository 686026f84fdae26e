export { FakePlatform, FakeContext, FakeAddressSpace, type AddressSpaceCall } from './fake-platform.js';
