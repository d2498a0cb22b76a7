"""What an event series and its dates are: the models, recurrence and holidays, reminder
rules, planning requests, who may see a date and what every email about a date shows. The use
cases that change them live in eventhub/scheduling."""
