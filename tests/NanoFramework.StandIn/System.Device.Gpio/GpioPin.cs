// Mirrors nanoframework/System.Device.Gpio at tag v1.1.62: System.Device.Gpio/GpioPin.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Device.Gpio
{
    public sealed class GpioPin : IDisposable
    {
        internal GpioPin() { }
        public int PinNumber { get { throw new NotImplementedException(); } }
        public PinValue Read() { throw new NotImplementedException(); }
        public void Dispose() { throw new NotImplementedException(); }
    }
}
