// Mirrors nanoframework/System.Device.Gpio at tag v1.1.62: System.Device.Gpio/GpioController.cs
// Stand-in: signatures as published upstream, bodies are stubs (never executed).

namespace System.Device.Gpio
{
    public sealed class GpioController : IDisposable
    {
        public GpioController() { }
        public GpioPin OpenPin(int pinNumber, PinMode mode) { throw new NotImplementedException(); }
        public PinValue Read(int pinNumber) { throw new NotImplementedException(); }
        public void Dispose() { throw new NotImplementedException(); }
    }
}
