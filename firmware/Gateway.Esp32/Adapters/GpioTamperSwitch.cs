using System.Device.Gpio;
using Iot.Gateway.Hardware;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>
    /// IDigitalInput for the enclosure's tamper switch: a normally-closed contact to GND with the internal pull-up,
    /// so a shut lid reads low and an open lid, a cut wire or a pulled connector all read high (open).
    /// </summary>
    public sealed class GpioTamperSwitch : IDigitalInput
    {
        private readonly GpioController _controller;
        private readonly GpioPin _pin;

        /// <summary>Opens the pin as an input with pull-up.</summary>
        public GpioTamperSwitch(int pin)
        {
            _controller = new GpioController();
            _pin = _controller.OpenPin(pin, PinMode.InputPullUp);
        }

        /// <inheritdoc />
        public bool IsOpen
        {
            get { return _pin.Read() == PinValue.High; }
        }
    }
}
