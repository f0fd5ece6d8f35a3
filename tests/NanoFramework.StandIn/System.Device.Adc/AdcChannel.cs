// Mirrors nanoframework/System.Device.Adc at tag v1.1.24: System.Device.Adc/AdcChannel.cs (and AdcChannelBase.cs)
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Device.Adc
{
    // Upstream ReadValue overrides AdcChannelBase.ReadValue; the call site is the same.
    public class AdcChannel : IDisposable
    {
        internal AdcChannel() { }
        public int ReadValue() { throw new NotImplementedException(); }
        public void Dispose() { throw new NotImplementedException(); }
    }
}
