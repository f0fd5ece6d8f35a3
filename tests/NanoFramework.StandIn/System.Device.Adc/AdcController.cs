// Mirrors nanoframework/System.Device.Adc at tag v1.1.24: System.Device.Adc/AdcController.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Device.Adc
{
    public sealed class AdcController
    {
        public AdcController() { }
        public int ChannelCount { get { throw new NotImplementedException(); } }
        public int MaxValue { get { throw new NotImplementedException(); } }
        public int MinValue { get { throw new NotImplementedException(); } }
        public int ResolutionInBits { get { throw new NotImplementedException(); } }
        public AdcChannel OpenChannel(int channelNumber) { throw new NotImplementedException(); }
    }
}
