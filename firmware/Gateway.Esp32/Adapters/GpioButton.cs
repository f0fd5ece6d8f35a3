using System.Device.Gpio;

namespace Iot.Gateway.Esp32.Adapters
{
    /// <summary>A push button to GND on a pin with the internal pull-up: pressed reads low.</summary>
    public sealed class GpioButton
    {
        private readonly GpioController _controller;
        private readonly GpioPin _pin;

        /// <summary>Opens the pin as an input with pull-up.</summary>
        public GpioButton(int pin)
        {
            _controller = new GpioController();
            _pin = _controller.OpenPin(pin, PinMode.InputPullUp);
        }

        /// <summary>True while the button is held.</summary>
        public bool IsPressed
        {
            get { return _pin.Read() == PinValue.Low; }
        }
    }
}
