using Iot.Testing;
using Xunit;

namespace Iot.Mqtt.Tests.Support;

/// <summary>xUnit finds collection definitions only in the test assembly itself, so this one
/// re-declares Iot.Testing's shared-broker collection here.</summary>
[CollectionDefinition(BrokerCollection.Name)]
public sealed class BrokerCollectionDefinition : ICollectionFixture<BrokerFixture>;
