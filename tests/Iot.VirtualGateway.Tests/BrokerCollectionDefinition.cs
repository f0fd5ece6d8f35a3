using Iot.Testing;

namespace Iot.VirtualGateway.Tests;

// xUnit only honours collection definitions declared in the test assembly itself.
[CollectionDefinition(BrokerCollection.Name)]
public sealed class BrokerCollectionDefinition : ICollectionFixture<BrokerFixture>;
